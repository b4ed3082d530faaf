/* The C API's contract beyond the vectors: NULL arguments, every status,
 * accessors, options, sign/verify, basic auth, the SNS helpers, the header-only
 * verifier calls, the template brief and the panic boundary.
 * Prints "ok N - …" / "not ok N - …" lines; exits 1 on any failure. */
#include "alertgate.h"
#include "util.h"

/* Exported only by a library built with --features test-hooks. */
ag_status ag_test_panic(ag_error **err);

static int failures = 0, count = 0;

static void check(int cond, const char *what) {
    count++;
    printf("%s %d - %s\n", cond ? "ok" : "not ok", count, what);
    if (!cond) failures++;
}

static int streq(const char *a, const char *b) { return a && b && strcmp(a, b) == 0; }

static const char AM[] =
    "{\"version\":\"4\",\"status\":\"firing\",\"groupKey\":\"g\",\"tier\":9,\"alerts\":["
    "{\"status\":\"firing\",\"labels\":{\"alertname\":\"HighCPU\",\"severity\":\"page\",\"service\":\"api\"},"
    "\"fingerprint\":\"f1\"},"
    "{\"status\":\"resolved\",\"labels\":{\"alertname\":\"DiskFull\"},\"fingerprint\":\"f2\","
    "\"endsAt\":\"2024-01-15T10:30:00Z\"}]}";

static void test_ingest(void) {
    ag_result *r = NULL;
    ag_error *err = NULL;
    ag_options *opts = ag_options_new();
    ag_header ua = {"User-Agent", 10, "Alertmanager/0.27.0", 19};
    const char *json = NULL;
    size_t len = 0;
    char *brief = NULL;
    check(ag_options_set_max_tier(opts, 2) == AG_STATUS_OK, "set max tier");
    check(ag_ingest((const uint8_t *)AM, strlen(AM), "application/json", &ua, 1, opts, &r, &err) == AG_STATUS_OK,
          "ingest an Alertmanager group");
    check(err == NULL, "no error on success");
    check(ag_ingest_alert_count(r) == 2, "two alerts");
    check(streq(ag_ingest_source(r), "alertmanager"), "source");
    check(ag_ingest_tier(r) == 2, "tier clamped to max_tier");
    check(streq(ag_ingest_alert_title(r, 0), "HighCPU"), "title");
    check(streq(ag_ingest_alert_severity(r, 0), "critical"), "severity");
    check(streq(ag_ingest_alert_status(r, 1), "resolved"), "status");
    check(streq(ag_ingest_alert_dedup_key(r, 1), "f2"), "dedup key");
    check(streq(ag_ingest_alert_service(r, 0), "api"), "service");
    check(ag_ingest_alert_service(r, 1) == NULL, "absent service is NULL");
    check(ag_ingest_alert_title(r, 2) == NULL, "out of range is NULL");
    check(ag_ingest_json(r, &json, &len) == AG_STATUS_OK && len == strlen(json) &&
              strncmp(json, "{\"source\":\"alertmanager\"", 24) == 0,
          "canonical JSON");
    check(ag_template_brief(r, &brief) == AG_STATUS_OK && strstr(brief, "Alertmanager reports") == brief,
          "template brief");
    ag_string_free(brief);
    ag_ingest_free(r);
    ag_options_free(opts);
}

static void expect_error(ag_status st, ag_error *err, ag_status want, const char *code, unsigned http, const char *what) {
    char msg[256];
    snprintf(msg, sizeof msg, "%s: status %u code %s http %u", what, (unsigned)st, err ? ag_error_code(err) : "(none)",
             err ? (unsigned)ag_error_http_status(err) : 0u);
    check(st == want && err && streq(ag_error_code(err), code) && ag_error_http_status(err) == http &&
              ag_error_message(err) && strlen(ag_error_message(err)) > 0,
          msg);
    ag_error_free(err);
}

static void test_errors(void) {
    ag_result *r = (ag_result *)1;
    ag_error *err = NULL;
    ag_status st;
    ag_options *opts = ag_options_new();
    ag_verifier *v;
    const char *secrets[] = {"s3cret"};
    ag_header bad = {"X-Hub-Signature-256", 19, "sha256=00", 9};

    st = ag_ingest((const uint8_t *)"  ", 2, NULL, NULL, 0, NULL, &r, &err);
    expect_error(st, err, AG_STATUS_INPUT_ERROR, "empty_body", 400, "empty body");
    check(r == NULL, "*out is NULL after a failure");
    err = NULL;
    st = ag_ingest((const uint8_t *)"[1]", 3, "application/json", NULL, 0, NULL, &r, &err);
    expect_error(st, err, AG_STATUS_INPUT_ERROR, "not_an_object", 400, "not an object");
    err = NULL;
    ag_options_set_max_tier(opts, 0);
    st = ag_ingest((const uint8_t *)"{}", 2, NULL, NULL, 0, opts, &r, &err);
    expect_error(st, err, AG_STATUS_CONFIG_ERROR, "invalid_config", 500, "max tier 0");
    err = NULL;
    st = ag_options_set_mapping_json(opts, "{\"title\": \"x\"}", 14, &err);
    expect_error(st, err, AG_STATUS_CONFIG_ERROR, "invalid_mapping", 500, "invalid mapping");
    check(ag_options_set_source(opts, "nagios") == AG_STATUS_CONFIG_ERROR, "unknown source id");
    check(ag_options_set_source(opts, "uptime-kuma") == AG_STATUS_OK, "source id with a dash");
    check(ag_options_set_source(opts, NULL) == AG_STATUS_OK, "NULL source restores detection");
    ag_options_free(opts);

    err = NULL;
    v = ag_verifier_new("github", secrets, 1, NULL, &err);
    check(v != NULL && err == NULL, "verifier");
    st = ag_verify(v, &bad, 1, (const uint8_t *)"x", 1, 0, &err);
    expect_error(st, err, AG_STATUS_AUTH_ERROR, "malformed_signature", 401, "malformed signature");
    err = NULL;
    st = ag_verify(v, NULL, 0, (const uint8_t *)"x", 1, 0, &err);
    expect_error(st, err, AG_STATUS_AUTH_ERROR, "missing_credentials", 401, "missing header");
    ag_verifier_free(v);
    err = NULL;
    check(ag_verifier_new("nope", secrets, 1, NULL, &err) == NULL, "unknown scheme gives NULL");
    expect_error(AG_STATUS_CONFIG_ERROR, err, AG_STATUS_CONFIG_ERROR, "invalid_config", 500, "unknown scheme");
    v = ag_verifier_new("github", secrets, 1, NULL, NULL);
    check(v != NULL, "err may be NULL");
    ag_verifier_free(v);
}

static void test_nulls(void) {
    ag_result *r = NULL;
    ag_error *err = NULL;
    const char *json;
    char *s = NULL;
    ag_header null_name = {NULL, 3, "v", 1};
    ag_header bad_utf8 = {"X", 1, "\xff", 1};
    check(ag_ingest(NULL, 0, NULL, NULL, 0, NULL, NULL, &err) == AG_STATUS_INVALID_ARGUMENT, "NULL out");
    check(streq(ag_error_code(err), "invalid_argument"), "invalid_argument code");
    ag_error_free(err);
    err = NULL;
    check(ag_ingest(NULL, 5, NULL, NULL, 0, NULL, &r, &err) == AG_STATUS_INVALID_ARGUMENT, "NULL body with a length");
    ag_error_free(err);
    err = NULL;
    check(ag_ingest((const uint8_t *)"x", 1, NULL, NULL, 2, NULL, &r, &err) == AG_STATUS_INVALID_ARGUMENT,
          "NULL headers with a count");
    ag_error_free(err);
    err = NULL;
    check(ag_ingest((const uint8_t *)"x", 1, NULL, &null_name, 1, NULL, &r, &err) == AG_STATUS_INVALID_ARGUMENT,
          "NULL header name with a length");
    ag_error_free(err);
    err = NULL;
    check(ag_ingest((const uint8_t *)"x", 1, NULL, &bad_utf8, 1, NULL, &r, &err) == AG_STATUS_INVALID_ARGUMENT,
          "non-UTF-8 header value");
    ag_error_free(err);
    check(ag_ingest((const uint8_t *)"x", 1, NULL, NULL, 0, NULL, &r, NULL) == AG_STATUS_OK, "err may be NULL");
    ag_ingest_free(r);
    check(ag_ingest_alert_count(NULL) == 0, "count of NULL");
    check(ag_ingest_source(NULL) == NULL, "source of NULL");
    check(ag_ingest_tier(NULL) == 0, "tier of NULL");
    check(ag_ingest_alert_title(NULL, 0) == NULL, "title of NULL");
    check(ag_ingest_json(NULL, &json, NULL) == AG_STATUS_INVALID_ARGUMENT, "json of NULL");
    check(ag_template_brief(NULL, &s) == AG_STATUS_INVALID_ARGUMENT, "brief of NULL");
    check(ag_options_set_strict(NULL, true) == AG_STATUS_INVALID_ARGUMENT, "setter on NULL");
    check(ag_options_set_mapping_json(NULL, "{}", 2, NULL) == AG_STATUS_INVALID_ARGUMENT, "mapping on NULL");
    check(ag_verify(NULL, NULL, 0, NULL, 0, 0, NULL) == AG_STATUS_INVALID_ARGUMENT, "verify with NULL verifier");
    check(ag_verifier_new(NULL, NULL, 0, NULL, NULL) == NULL, "verifier with NULL scheme");
    check(ag_sign("github", "k", NULL, 0, NULL, NULL, NULL, NULL, NULL) == AG_STATUS_INVALID_ARGUMENT,
          "sign with NULL output");
    check(ag_error_code(NULL) == NULL && ag_error_message(NULL) == NULL && ag_error_http_status(NULL) == 0,
          "error accessors on NULL");
    ag_error_free(NULL);
    ag_ingest_free(NULL);
    ag_options_free(NULL);
    ag_verifier_free(NULL);
    ag_string_free(NULL);
    check(1, "frees accept NULL");
}

static void test_sign_verify(void) {
    const char *secrets[] = {"old", "It's a Secret to Everybody"};
    char *json = NULL;
    ag_error *err = NULL;
    ag_verifier *v = ag_verifier_new("github", secrets, 2, NULL, &err);
    ag_header h = {"x-hub-signature-256", 19,
                   "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", 71};
    int64_t ts = 1700000000;
    check(ag_verify(v, &h, 1, (const uint8_t *)"Hello, World!", 13, 0, &err) == AG_STATUS_OK,
          "GitHub's documented example verifies with a rotated secret");
    ag_verifier_free(v);
    check(ag_sign("github", "It's a Secret to Everybody", (const uint8_t *)"Hello, World!", 13, NULL, NULL, NULL, &json,
                  &err) == AG_STATUS_OK &&
              streq(json, "{\"X-Hub-Signature-256\":\"sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17\"}"),
          "ag_sign reproduces it");
    ag_string_free(json);
    json = NULL;
    check(ag_sign("slack", "k", (const uint8_t *)"x", 1, &ts, NULL, NULL, &json, &err) == AG_STATUS_OK &&
              strstr(json, "\"X-Slack-Request-Timestamp\":\"1700000000\"") != NULL,
          "timestamped signing");
    ag_string_free(json);
    json = NULL;
    check(ag_sign("slack", "k", (const uint8_t *)"x", 1, NULL, NULL, NULL, &json, &err) == AG_STATUS_CONFIG_ERROR &&
              json == NULL,
          "slack needs a timestamp");
    ag_error_free(err);
}

static void test_basic(void) {
    ag_status st;
    const char *pairs[] = {"grafana:new", "alertmanager:c0rrect horse"};
    const char *no_colon[] = {"no-colon"};
    ag_error *err = NULL;
    char *json = NULL;
    ag_verifier *v = ag_verifier_new("basic", pairs, 2, NULL, &err);
    ag_header good = {"authorization", 13, "Basic YWxlcnRtYW5hZ2VyOmMwcnJlY3QgaG9yc2U=", 42};
    ag_header wrong = {"Authorization", 13, "Basic Z3JhZmFuYTpvbGQ=", 22}; /* grafana:old */
    uint64_t tolerance = 7;
    check(v != NULL && err == NULL, "basic verifier with user:password pairs");
    check(ag_verify(v, &good, 1, (const uint8_t *)"x", 1, 0, &err) == AG_STATUS_OK, "basic: the rotated pair");
    check(ag_verifier_check_headers(v, &good, 1, 0, &err) == AG_STATUS_OK, "basic: check_headers judges it whole");
    st = ag_verify(v, &wrong, 1, (const uint8_t *)"x", 1, 0, &err);
    expect_error(st, err, AG_STATUS_AUTH_ERROR, "invalid_token", 401, "basic: wrong password");
    err = NULL;
    check(!ag_verifier_tolerance(v, &tolerance) && tolerance == 7, "basic signs no timestamp");
    ag_verifier_free(v);
    check(ag_sign("basic", "alertmanager:c0rrect horse", NULL, 0, NULL, NULL, NULL, &json, &err) == AG_STATUS_OK &&
              streq(json, "{\"Authorization\":\"Basic YWxlcnRtYW5hZ2VyOmMwcnJlY3QgaG9yc2U=\"}"),
          "basic: ag_sign");
    ag_string_free(json);
    check(ag_verifier_new("basic", no_colon, 1, NULL, &err) == NULL, "basic: a secret without ':' is refused");
    expect_error(AG_STATUS_CONFIG_ERROR, err, AG_STATUS_CONFIG_ERROR, "invalid_config", 500, "basic: no colon");
}

static void test_sns(void) {
    ag_status st;
    static const char note[] =
        "{\"Type\":\"Notification\",\"SigningCertURL\":"
        "\"https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-abc.pem\"}";
    static const char forged[] =
        "{\"Type\":\"Notification\",\"SigningCertURL\":\"https://sns.us-east-1.amazonaws.com.evil.com/x.pem\"}";
/* A whole SubscriptionConfirmation (its signature is not checked here), with a SubscribeURL host in between. */
#define CONFIRM(host)                                                                                            \
    "{\"Type\":\"SubscriptionConfirmation\",\"MessageId\":\"m\",\"TopicArn\":\"arn:aws:sns:eu-west-1:1:a\","   \
    "\"Message\":\"m\",\"Timestamp\":\"2023-11-14T22:13:20.000Z\",\"SignatureVersion\":\"1\","                 \
    "\"SigningCertURL\":\"https://sns.eu-west-1.amazonaws.com/x.pem\",\"Token\":\"t\",\"SubscribeURL\":\"https://" \
    host "/?Action=ConfirmSubscription&Token=t\",\"Signature\":\"x\"}"
    static const char confirm[] = CONFIRM("sns.eu-west-1.amazonaws.com");
    static const char confirm_forged[] = CONFIRM("sns.eu-west-1.amazonaws.com.evil.com");
    ag_verify_options opts = ag_verify_options_default();
    ag_header type = {"x-amz-sns-message-type", 22, "Notification", 12};
    ag_header topics[2] = {{"x-amz-sns-message-type", 22, "Notification", 12},
                           {"x-amz-sns-topic-arn", 19, "arn:aws:sns:eu-west-1:123456789012:alerts", 41}};
    const char *secrets[] = {"k"};
    ag_error *err = NULL;
    char *url = NULL;
    ag_verifier *v, *gh;
    check(ag_sns_certificate_url((const uint8_t *)note, strlen(note), &url, &err) == AG_STATUS_OK &&
              streq(url, "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-abc.pem"),
          "sns: the certificate URL");
    ag_string_free(url);
    url = (char *)1;
    st = ag_sns_certificate_url((const uint8_t *)forged, strlen(forged), &url, &err);
    expect_error(st, err, AG_STATUS_AUTH_ERROR, "malformed_signature", 401,
                 "sns: a forged certificate host is refused");
    check(url == NULL, "sns: *url is NULL after a refusal");
    err = NULL;
    check(ag_sns_subscribe_url((const uint8_t *)confirm, strlen(confirm), &url, &err) == AG_STATUS_OK &&
              strncmp(url, "https://sns.eu-west-1.amazonaws.com/?Action=", 44) == 0,
          "sns: the subscribe URL");
    ag_string_free(url);
    st = ag_sns_subscribe_url((const uint8_t *)confirm_forged, strlen(confirm_forged), &url, &err);
    expect_error(st, err, AG_STATUS_AUTH_ERROR, "malformed_signature", 401, "sns: a forged subscribe host is refused");
    err = NULL;

    v = ag_verifier_new("sns", NULL, 0, NULL, &err);
    check(v != NULL, "sns takes no secrets");
    st = ag_verify(v, &type, 1, (const uint8_t *)note, strlen(note), 0, &err);
    expect_error(st, err, AG_STATUS_CONFIG_ERROR, "invalid_config", 500, "sns: ag_verify needs the certificate");
    err = NULL;
    st = ag_verifier_verify_with_certificate(v, &type, 1, (const uint8_t *)note, strlen(note), 0,
                                             (const uint8_t *)"junk", 4, &err);
    expect_error(st, err, AG_STATUS_AUTH_ERROR, "malformed_signature", 401, "sns: a garbage certificate");
    err = NULL;
    st = ag_verifier_check_headers(v, NULL, 0, 0, &err);
    expect_error(st, err, AG_STATUS_AUTH_ERROR, "missing_credentials", 401, "sns: no message type header");
    ag_verifier_free(v);
    err = NULL;
    opts.topic_arn = "arn:aws:sns:eu-west-1:123456789012:other";
    v = ag_verifier_new("sns", NULL, 0, &opts, &err);
    st = ag_verifier_check_headers(v, topics, 2, 0, &err);
    expect_error(st, err, AG_STATUS_AUTH_ERROR, "invalid_token", 401, "sns: another topic than the pinned one");
    ag_verifier_free(v);
    err = NULL;
    check(ag_verifier_new("sns", secrets, 1, NULL, &err) == NULL, "sns refuses secrets");
    expect_error(AG_STATUS_CONFIG_ERROR, err, AG_STATUS_CONFIG_ERROR, "invalid_config", 500, "sns: secrets");
    err = NULL;
    gh = ag_verifier_new("github", secrets, 1, NULL, NULL);
    st = ag_verifier_verify_with_certificate(gh, NULL, 0, NULL, 0, 0, NULL, 0, &err);
    expect_error(st, err, AG_STATUS_CONFIG_ERROR, "invalid_config", 500, "github takes no certificate");
    ag_verifier_free(gh);
}

static void test_header_only(void) {
    ag_status st;
    const char *secrets[] = {"whsec_c2VjcmV0"};
    ag_error *err = NULL;
    ag_verifier *v = ag_verifier_new("svix", secrets, 1, NULL, &err);
    ag_header h[3] = {{"svix-id", 7, "msg_1", 5},
                      {"svix-timestamp", 14, "1700000000", 10},
                      {"svix-signature", 14, "v1,AAAA", 7}};
    ag_header delivery = {"X-GitHub-Delivery", 17, "d-1", 3};
    char *s = NULL;
    uint64_t tolerance = 0;
    check(ag_verifier_tolerance(v, &tolerance) && tolerance == 300, "svix: tolerance");
    check(ag_verifier_delivery_id(v, h, 3, &s) == AG_STATUS_OK && streq(s, "msg_1"), "svix: delivery id");
    ag_string_free(s);
    check(ag_verifier_signature(v, h, 3, &s) == AG_STATUS_OK && streq(s, "v1,AAAA"), "svix: signature");
    ag_string_free(s);
    st = ag_verifier_check_headers(v, h, 3, 1700009999, &err);
    expect_error(st, err, AG_STATUS_AUTH_ERROR,
                 "timestamp_out_of_tolerance", 401, "svix: check_headers judges the timestamp");
    err = NULL;
    check(ag_verifier_signature(v, NULL, 0, &s) == AG_STATUS_OK && s == NULL, "no signature header gives NULL");
    ag_verifier_free(v);
    secrets[0] = "k";
    v = ag_verifier_new("github", secrets, 1, NULL, NULL);
    check(ag_verifier_delivery_id(v, &delivery, 1, &s) == AG_STATUS_OK && streq(s, "d-1"), "github: delivery id");
    ag_string_free(s);
    ag_verifier_free(v);
    /* NULL arguments. */
    check(ag_verifier_delivery_id(NULL, NULL, 0, &s) == AG_STATUS_INVALID_ARGUMENT && s == NULL,
          "delivery id of a NULL verifier");
    check(ag_verifier_signature(NULL, NULL, 0, NULL) == AG_STATUS_INVALID_ARGUMENT, "signature to NULL");
    check(!ag_verifier_tolerance(NULL, &tolerance), "tolerance of NULL");
    check(ag_verifier_check_headers(NULL, NULL, 0, 0, NULL) == AG_STATUS_INVALID_ARGUMENT,
          "check_headers with a NULL verifier");
    check(ag_verifier_verify_with_certificate(NULL, NULL, 0, NULL, 0, 0, NULL, 0, NULL) == AG_STATUS_INVALID_ARGUMENT,
          "verify_with_certificate with a NULL verifier");
    check(ag_sns_certificate_url(NULL, 0, NULL, NULL) == AG_STATUS_INVALID_ARGUMENT, "certificate URL to NULL");
    check(ag_sns_subscribe_url(NULL, 3, &s, NULL) == AG_STATUS_INVALID_ARGUMENT && s == NULL,
          "subscribe URL of a NULL body with a length");
}

static void test_panic(void) {
    ag_error *err = NULL;
    check(ag_test_panic(&err) == AG_STATUS_PANIC, "a panic becomes AG_STATUS_PANIC");
    check(streq(ag_error_code(err), "panic"), "panic error code");
    ag_error_free(err);
    check(ag_test_panic(NULL) == AG_STATUS_PANIC, "panic with NULL err");
}

/* Code written against the former spelling `struct ag_ingest *` still compiles
 * (the deprecated tag of `ag_result`) and uses the same functions. */
static void test_deprecated_tag(void) {
    struct ag_ingest *old = NULL;
    ag_result **same = &old;
    ag_header ua = {"User-Agent", 10, "Alertmanager/0.27.0", 19};
    check(ag_ingest((const uint8_t *)AM, strlen(AM), "application/json", &ua, 1, NULL, same, NULL) == AG_STATUS_OK &&
              ag_ingest_alert_count(old) == 2,
          "struct ag_ingest is ag_result");
    ag_ingest_free(old);
}

int main(void) {
    check(ag_version() != NULL && strlen(ag_version()) > 0, "version");
    test_ingest();
    test_errors();
    test_nulls();
    test_sign_verify();
    test_basic();
    test_sns();
    test_header_only();
    test_panic();
    test_deprecated_tag();
    printf("%d passed, %d failed\n", count - failures, failures);
    return failures ? 1 : 0;
}
