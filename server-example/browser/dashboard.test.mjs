// The dashboard as a person uses it: the system Chromium, driven by
// playwright-core, against `alertgate serve` started here on 127.0.0.1 with a
// temporary database, a local receiver for outgoing webhooks, and alerts
// posted over HTTP as a sender (or curl) would.
//
// Environment: ALERTGATE_BIN (the binary; default ../../target/debug/alertgate),
// CHROMIUM (default: `chromium` on PATH), SCREENSHOT_DIR (where the docs'
// screenshots go; default a temporary directory).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, writeFileSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const BIN = process.env.ALERTGATE_BIN || resolve(here, '../../target/debug/alertgate');
const CHROMIUM = process.env.CHROMIUM || execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
const API_KEY = 'browser-test-api-key';
const READ_KEY = 'browser-test-read-key';
const SENDER = 'am-sender-token';
const ALERTMANAGER = readFileSync(resolve(here, '../../tests/vectors/alertmanager/firing_single.json'), 'utf8');

let dir, server, base, browser, receiver;
const received = []; // outgoing deliveries seen by the local receiver
const shots = process.env.SCREENSHOT_DIR || null;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'alertgate-browser-'));
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      received.push({ event: req.headers['x-webhook-event'], body });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise((ok) => receiver.listen(0, '127.0.0.1', ok));
  const hook = `http://127.0.0.1:${receiver.address().port}/hook`;
  writeFileSync(join(dir, 'integrations.toml'), `
[integrations.prod-alertmanager]
source = "alertmanager"
auth = "bearer"
secrets = ["${SENDER}"]

[integrations.uptime]
source = "auto"
auth = "shared_secret"
secrets = ["kuma-secret"]

[[outgoing]]
url = "${hook}"
secret = "outgoing-secret"
events = ["incident.created", "incident.acknowledged", "incident.resolved", "session.completed"]
`);
  server = spawn(BIN, ['serve', '--listen', '127.0.0.1:0', '--db', join(dir, 'alertgate.db'),
    '--integrations', join(dir, 'integrations.toml')], {
    env: { ...process.env, ALERTGATE_API_KEY: API_KEY, ALERTGATE_READ_KEYS: `${READ_KEY},other-read-key`, ALERTGATE_LOG: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  base = await new Promise((ok, fail) => {
    const lines = createInterface({ input: server.stdout });
    lines.once('line', (line) => {
      const m = /listening on (http:\/\/\S+)/.exec(line);
      m ? ok(m[1]) : fail(new Error(`unexpected first line: ${line}`));
    });
    server.once('exit', (code) => fail(new Error(`alertgate exited with ${code}`)));
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox'] });
});

after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  await new Promise((ok) => (server && server.exitCode === null ? server.once('exit', ok) : ok()));
  receiver?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A sender's POST, as `curl -X POST -H … --data-binary` would make it. */
async function post(path, body, headers) {
  const res = await fetch(base + path, { method: 'POST', body, headers });
  return { status: res.status, json: await res.json().catch(() => null) };
}

async function waitFor(cond, what, ms = 15000) {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
}

async function login(context, key) {
  const page = await context.newPage();
  await page.goto(base + '/');
  assert.match(new URL(page.url()).pathname, /^\/login$/);
  await page.getByLabel('Key').fill(key);
  await page.getByRole('button', { name: 'Log in' }).click();
  return page;
}

async function shot(page, name) {
  if (!shots) return;
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: join(shots, name), fullPage: true });
}

test('logged out, every page redirects to the login page', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  for (const path of ['/', '/incidents', '/incidents/1', '/sessions', '/sessions/1', '/deliveries', '/playground']) {
    const res = await page.goto(base + path);
    const url = new URL(page.url());
    assert.equal(url.pathname, '/login', path);
    assert.equal(url.searchParams.get('next'), path);
    assert.equal(res.status(), 200);
    assert.ok(res.headers()['content-security-policy'].includes("script-src 'self'"));
  }
  // A form posted without a session goes to the login page too, changing nothing.
  const res = await context.request.post(base + '/incidents/1/acknowledge', { form: { csrf: 'x' }, maxRedirects: 0 });
  assert.equal(res.status(), 303);
  assert.match(res.headers().location, /^\/login/);
  await context.close();
});

test('a wrong key is refused, the API key logs in', async () => {
  const context = await browser.newContext();
  const page = await login(context, 'not-the-key');
  await assert.doesNotReject(page.locator('#login-error', { hasText: 'not valid' }).waitFor());
  assert.equal(new URL(page.url()).pathname, '/login');
  await page.getByLabel('Key').fill(API_KEY);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === 'alertgate_session');
  assert.ok(session, 'a session cookie');
  assert.equal(session.httpOnly, true);
  assert.equal(session.sameSite, 'Strict');
  assert.ok(session.expires > Date.now() / 1000, 'the cookie expires');
  // No key appears in a page.
  assert.ok(!(await page.content()).includes(API_KEY));
  await context.close();
});

test('alerts posted by a sender appear on the overview without a reload', async () => {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await login(context, API_KEY);
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  await page.evaluate(() => { window.notReloaded = true; });
  const r = await post('/api/v1/integrations/prod-alertmanager', ALERTMANAGER,
    { authorization: `Bearer ${SENDER}`, 'content-type': 'application/json' });
  assert.equal(r.status, 200);
  assert.equal(r.json.results[0].outcome, 'created');
  const kuma = JSON.stringify({ heartbeat: { status: 0, msg: 'Connection timeout' }, monitor: { name: 'Gitea', url: 'https://gitea.example.com' }, msg: 'Gitea is down!' });
  assert.equal((await post('/api/v1/integrations/uptime', kuma,
    { 'x-webhook-secret': 'kuma-secret', 'content-type': 'application/json' })).status, 200);
  await page.locator('#live-overview a', { hasText: 'PostgresDown' }).waitFor({ timeout: 15000 });
  await page.locator('#live-overview a', { hasText: 'Gitea' }).waitFor({ timeout: 15000 });
  assert.equal(await page.evaluate(() => window.notReloaded), true, 'the page was not reloaded');
  // Severity shows its word, not colour alone; the integration's URL is there to copy.
  assert.ok(Number(await page.locator('.count[data-severity="critical"]').textContent()) >= 1);
  const url = await page.locator('input[aria-label="URL of prod-alertmanager"]').inputValue();
  assert.equal(url, `${base}/api/v1/integrations/prod-alertmanager`);
  assert.ok(!(await page.content()).includes(SENDER), 'integration secrets never appear');
  // Times read relative once the script has run.
  assert.match(await page.locator('#live-overview time').first().textContent(), /ago|just now|in /);
  await shot(page, 'dashboard-overview.png');
  // Usable at 375 px: nothing wider than the screen but the tables' own scroll boxes.
  await page.setViewportSize({ width: 375, height: 800 });
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 375));
  await context.close();
});

test('an incident is acknowledged from its page and the outgoing delivery is shown', async () => {
  const context = await browser.newContext();
  const page = await login(context, API_KEY);
  await page.goto(base + '/incidents?q=Postgres');
  await page.getByRole('link', { name: 'PostgresDown' }).click();
  assert.equal(await page.locator('#incident-status').textContent(), 'triggered');
  await page.getByRole('button', { name: 'Acknowledge' }).click();
  await page.locator('#incident-status', { hasText: 'acknowledged' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Acknowledge' }).count(), 0);
  await page.locator('.timeline li', { hasText: 'acknowledged' }).waitFor();
  await waitFor(() => received.some((d) => d.event === 'incident.acknowledged'), 'the receiver to get incident.acknowledged');
  const sent = JSON.parse(received.find((d) => d.event === 'incident.acknowledged').body);
  assert.equal(JSON.stringify(sent).includes('PostgresDown'), true);
  await page.getByRole('link', { name: 'Deliveries' }).click();
  const row = page.locator('tr', { hasText: 'incident.acknowledged' });
  await row.waitFor();
  await row.locator('.status', { hasText: 'delivered' }).or(row.locator('.status', { hasText: 'sent' })).first().waitFor({ timeout: 15000 });
  assert.ok(!(await page.content()).includes('outgoing-secret'));
  await context.close();
});

test('sessions filter by trigger and show their brief', async () => {
  const auth = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' };
  const r = await post('/api/v1/webhook', ALERTMANAGER, auth);
  assert.equal(r.status, 202);
  const alertSession = r.json.session_id;
  await waitFor(async () => (await (await fetch(`${base}/api/v1/sessions/${alertSession}`, { headers: auth })).json()).status !== 'running', 'the alert session to finish');

  const context = await browser.newContext();
  const page = await login(context, API_KEY);
  await page.goto(base + '/sessions');
  await page.getByLabel('Prompt').fill('Check the disk on db-1 by hand');
  await page.getByRole('button', { name: 'Start session' }).click();
  await page.locator('.trigger', { hasText: 'manual' }).waitFor();
  await page.locator('#brief', { hasText: 'Check the disk on db-1 by hand' }).waitFor();

  await page.goto(base + '/sessions');
  await page.locator('#trigger-filter').selectOption('alert');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.waitForURL(/trigger=alert/);
  const triggers = await page.locator('#live-sessions tbody .trigger').allTextContents();
  assert.ok(triggers.length >= 1);
  assert.deepEqual([...new Set(triggers)], ['alert']);
  await page.getByRole('link', { name: String(alertSession), exact: true }).click();
  const brief = await page.locator('#brief').textContent();
  assert.ok(brief.includes('PostgresDown'), brief);
  assert.match(await page.locator('#written-by').textContent(), /template/);
  await page.locator('.alerts li', { hasText: 'PostgresDown' }).waitFor();
  await shot(page, 'dashboard-session.png');
  await context.close();
});

test('the playground reads an Alertmanager body and a custom mapping, storing nothing', async () => {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await login(context, API_KEY);
  const before = await (await fetch(`${base}/api/v1/incidents`, { headers: { authorization: `Bearer ${API_KEY}` } })).json();
  await page.goto(base + '/playground');
  await page.getByLabel('Body').fill(ALERTMANAGER);
  await page.getByRole('button', { name: 'Read it' }).click();
  const canonical = await page.locator('#canonical').textContent();
  assert.equal(JSON.parse(canonical).source, 'alertmanager');
  assert.equal(JSON.parse(canonical).alerts[0].title, 'PostgresDown');
  const explanation = JSON.parse(await page.locator('#explanation').textContent());
  assert.ok(explanation.detection.some((s) => s.matched));
  await shot(page, 'dashboard-playground.png');

  await page.getByLabel('Body').fill(JSON.stringify({ check: { name: 'Disk almost full' }, level: '3', host: 'db-1' }));
  await page.getByLabel(/Custom mapping/).fill(JSON.stringify({ name: 'acme', title: '/check/name', severity: { from: '/level', values: { 3: 'critical' } }, host: '/host' }));
  await page.getByRole('button', { name: 'Read it' }).click();
  const mapped = JSON.parse(await page.locator('#canonical').textContent());
  assert.equal(mapped.source, 'generic');
  assert.equal(mapped.alerts[0].title, 'Disk almost full');
  assert.equal(mapped.alerts[0].severity, 'critical');
  assert.match(await page.locator('#explanation').textContent(), /\/check\/name/);

  await page.getByLabel(/Custom mapping/).fill('{"name": "bad", "title": "no-slash"}');
  await page.getByRole('button', { name: 'Read it' }).click();
  await page.locator('#playground-error', { hasText: 'invalid_mapping' }).waitFor();

  const after = await (await fetch(`${base}/api/v1/incidents`, { headers: { authorization: `Bearer ${API_KEY}` } })).json();
  assert.equal(after.incidents.length, before.incidents.length, 'the playground stored nothing');
  await context.close();
});

test('a read-only key sees everything but changes nothing', async () => {
  const context = await browser.newContext();
  const page = await login(context, READ_KEY);
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  await page.locator('.role', { hasText: 'read-only' }).waitFor();
  await page.goto(base + '/incidents');
  await page.locator('#live-incidents a', { hasText: 'Gitea' }).first().click();
  await page.locator('#incident-status', { hasText: 'triggered' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Acknowledge' }).count(), 0);
  assert.equal(await page.getByRole('button', { name: 'Resolve' }).count(), 0);
  // A forged POST with the session's own cookie and CSRF token is refused.
  const csrf = await page.locator('form[action="/logout"] input[name="csrf"]').inputValue();
  const id = new URL(page.url()).pathname.split('/').pop();
  const res = await context.request.post(`${base}/incidents/${id}/acknowledge`, { form: { csrf }, maxRedirects: 0 });
  assert.equal(res.status(), 403);
  await page.reload();
  assert.equal(await page.locator('#incident-status').textContent(), 'triggered');
  await page.goto(base + '/sessions');
  assert.equal(await page.getByLabel('Prompt').count(), 0);
  // The playground stores nothing, so a read-only key may use it.
  await page.goto(base + '/playground');
  await page.getByRole('button', { name: 'Read it' }).click();
  await page.locator('#canonical').waitFor();
  await context.close();
});

test('a form without the CSRF token is refused', async () => {
  const context = await browser.newContext();
  const page = await login(context, API_KEY);
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  const res = await context.request.post(`${base}/incidents/1/resolve`, { form: { csrf: 'forged' }, maxRedirects: 0 });
  assert.equal(res.status(), 403);
  const api = await (await fetch(`${base}/api/v1/incidents/1`, { headers: { authorization: `Bearer ${API_KEY}` } })).json();
  assert.notEqual(api.status, 'resolved');
  await context.close();
});

test('every page works, read-only, with JavaScript off', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await login(context, API_KEY);
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  for (const [path, text] of [['/', 'PostgresDown'], ['/incidents', 'Gitea'], ['/incidents/1', 'Timeline'],
    ['/sessions', 'alert'], ['/sessions/1', 'Brief'], ['/deliveries', 'incident.created'], ['/playground', 'Read it']]) {
    const res = await page.goto(base + path);
    assert.equal(res.status(), 200, path);
    assert.ok((await page.content()).includes(text), `${path} shows ${text}`);
  }
  // Times are readable without the script (RFC 3339, UTC).
  assert.match(await page.goto(base + '/incidents').then(() => page.locator('time').first().textContent()), /^\d{4}-\d\d-\d\dT/);
  await context.close();
});

test('logging out ends the session', async () => {
  const context = await browser.newContext();
  const page = await login(context, API_KEY);
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.waitForURL(/\/login$/);
  await page.goto(base + '/incidents');
  assert.equal(new URL(page.url()).pathname, '/login');
  await context.close();
});
