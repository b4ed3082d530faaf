/* Four threads ingest and verify with their own handles at once; every result
 * must equal the single-threaded one. */
#include <pthread.h>
#include "alertgate.h"
#include "util.h"

#define ROUNDS 200

static const char BODY[] = "{\"summary\":\"Disk full\",\"service\":\"db\",\"severity\":\"p1\",\"dedup_key\":\"k1\"}";
static char expected[4096];

static void *work(void *arg) {
    long *bad = arg;
    const char *secrets[] = {"s3cret"};
    ag_verifier *v = ag_verifier_new("opshift", secrets, 1, NULL, NULL);
    char *signed_json = NULL;
    char sig[80];
    ag_header h = {"X-Webhook-Signature", 19, sig, 0};
    int i;
    ag_sign("opshift", "s3cret", (const uint8_t *)BODY, strlen(BODY), NULL, NULL, NULL, &signed_json, NULL);
    /* {"X-Webhook-Signature":"<64 hex>"} */
    memcpy(sig, signed_json + 24, 64);
    sig[64] = 0;
    h.value_len = 64;
    ag_string_free(signed_json);
    for (i = 0; i < ROUNDS; i++) {
        ag_result *r = NULL;
        const char *json;
        if (ag_verify(v, &h, 1, (const uint8_t *)BODY, strlen(BODY), 0, NULL) != AG_STATUS_OK) (*bad)++;
        if (ag_ingest((const uint8_t *)BODY, strlen(BODY), "application/json", NULL, 0, NULL, &r, NULL) != AG_STATUS_OK ||
            ag_ingest_json(r, &json, NULL) != AG_STATUS_OK || strcmp(json, expected) != 0)
            (*bad)++;
        ag_ingest_free(r);
    }
    ag_verifier_free(v);
    return NULL;
}

int main(void) {
    pthread_t t[4];
    long bad[4] = {0, 0, 0, 0};
    ag_result *r = NULL;
    const char *json;
    int i;
    if (ag_ingest((const uint8_t *)BODY, strlen(BODY), "application/json", NULL, 0, NULL, &r, NULL) != AG_STATUS_OK) return 1;
    ag_ingest_json(r, &json, NULL);
    strncpy(expected, json, sizeof expected - 1);
    ag_ingest_free(r);
    for (i = 0; i < 4; i++) pthread_create(&t[i], NULL, work, &bad[i]);
    for (i = 0; i < 4; i++) pthread_join(t[i], NULL);
    for (i = 0; i < 4; i++) printf("%s %d - thread %d: %ld mismatches\n", bad[i] ? "not ok" : "ok", i + 1, i, bad[i]);
    return (bad[0] || bad[1] || bad[2] || bad[3]) ? 1 : 0;
}
