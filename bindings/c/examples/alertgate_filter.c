/* alertgate_filter: reads one webhook payload from stdin and prints one line
 * per alert: "severity status dedup_key title". Exits 1 with the error message
 * on bad input.
 *
 *   usage: alertgate_filter [CONTENT-TYPE] ['Name: value'...] < payload
 *   build: cc -o alertgate_filter alertgate_filter.c $(pkg-config --cflags --libs alertgate)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alertgate.h"

int main(int argc, char **argv) {
    const char *content_type = argc > 1 ? argv[1] : NULL;
    size_t n_headers = argc > 2 ? (size_t)(argc - 2) : 0, cap = 1 << 16, len = 0, got, i;
    unsigned char *body = malloc(cap);
    ag_header *headers = calloc(n_headers ? n_headers : 1, sizeof *headers);
    ag_result *result = NULL;
    ag_error *err = NULL;
    int status = 0;

    if (!body || !headers) return 2;
    for (i = 0; i < n_headers; i++) {
        const char *h = argv[2 + i], *colon = strchr(h, ':');
        if (!colon) {
            fprintf(stderr, "alertgate_filter: header '%s' is not 'Name: value'\n", h);
            return 2;
        }
        headers[i].name = h;
        headers[i].name_len = (size_t)(colon - h);
        headers[i].value = colon + 1;
        headers[i].value_len = strlen(colon + 1);
    }
    while ((got = fread(body + len, 1, cap - len, stdin)) > 0) {
        len += got;
        if (len == cap) {
            unsigned char *bigger = realloc(body, cap *= 2);
            if (!bigger) return 2;
            body = bigger;
        }
    }

    if (ag_ingest(body, len, content_type, headers, n_headers, NULL, &result, &err) != AG_STATUS_OK) {
        fprintf(stderr, "alertgate_filter: %s (%s)\n", ag_error_message(err), ag_error_code(err));
        status = 1;
    } else {
        for (i = 0; i < ag_ingest_alert_count(result); i++) {
            printf("%s %s %s %s\n", ag_ingest_alert_severity(result, i), ag_ingest_alert_status(result, i),
                   ag_ingest_alert_dedup_key(result, i), ag_ingest_alert_title(result, i));
        }
    }
    ag_error_free(err);
    ag_ingest_free(result);
    free(headers);
    free(body);
    return status;
}
