/* Runs every shared vector (a manifest line each, from check.py) through
 * ag_ingest and prints, per case: name TAB "OK" TAB hex(json) or
 * name TAB "ERR" TAB status TAB code TAB http_status TAB hex(message). */
#include "alertgate.h"
#include "util.h"

#define MAX_FIELDS 256

int main(int argc, char **argv) {
    size_t cap = 0, mlen;
    char *line = NULL, *manifest;
    FILE *f;
    if (argc != 2) { fprintf(stderr, "usage: vectors MANIFEST\n"); return 2; }
    manifest = (char *)read_file(argv[1], &mlen);
    f = fmemopen(manifest, mlen, "r");
    while (getline(&line, &cap, f) > 0) {
        char *fields[MAX_FIELDS];
        size_t n, i, body_len, nh, map_len;
        unsigned char *body;
        char *ct, *source, *mapping, **hstore;
        ag_header *headers;
        ag_options *opts;
        ag_result *out = NULL;
        ag_error *err = NULL;
        ag_status st;
        line[strcspn(line, "\n")] = 0;
        n = split_tabs(line, fields, MAX_FIELDS);
        /* name, body, ct, n_headers, headers…, source, max_tier, strict, mapping */
        nh = (size_t)atoi(fields[3]);
        if (n != 8 + 2 * nh) { fprintf(stderr, "bad manifest line for %s\n", fields[0]); return 2; }
        body = read_file(fields[1], &body_len);
        ct = unhex(fields[2], NULL);
        headers = calloc(nh ? nh : 1, sizeof *headers);
        hstore = calloc(2 * nh + 1, sizeof *hstore);
        for (i = 0; i < nh; i++) {
            hstore[2 * i] = unhex(fields[4 + 2 * i], &headers[i].name_len);
            hstore[2 * i + 1] = unhex(fields[5 + 2 * i], &headers[i].value_len);
            headers[i].name = hstore[2 * i];
            headers[i].value = hstore[2 * i + 1];
        }
        opts = ag_options_new();
        source = unhex(fields[4 + 2 * nh], NULL);
        if (strcmp(fields[5 + 2 * nh], "-") != 0) ag_options_set_max_tier(opts, (uint32_t)atoi(fields[5 + 2 * nh]));
        ag_options_set_strict(opts, strcmp(fields[6 + 2 * nh], "1") == 0);
        mapping = unhex(fields[7 + 2 * nh], &map_len);

        st = AG_STATUS_OK;
        if (source && ag_options_set_source(opts, source) != AG_STATUS_OK) {
            /* Unknown source ids are checked again by ag_sign-free means: report like Rust. */
            st = AG_STATUS_CONFIG_ERROR;
            printf("%s\tERR\t%u\tunknown_source\t400\t", fields[0], (unsigned)st);
            put_hex(source, strlen(source));
            printf("\n");
        }
        if (st == AG_STATUS_OK && mapping) st = ag_options_set_mapping_json(opts, mapping, map_len, &err);
        if (st == AG_STATUS_OK) st = ag_ingest(body, body_len, ct, headers, nh, opts, &out, &err);
        if (st == AG_STATUS_OK) {
            const char *json;
            size_t len;
            if (ag_ingest_json(out, &json, &len) != AG_STATUS_OK || strlen(json) != len) return 3;
            printf("%s\tOK\t", fields[0]);
            put_hex(json, len);
            printf("\n");
        } else if (err) {
            const char *msg = ag_error_message(err);
            printf("%s\tERR\t%u\t%s\t%u\t", fields[0], (unsigned)st, ag_error_code(err), (unsigned)ag_error_http_status(err));
            put_hex(msg, strlen(msg));
            printf("\n");
        }
        ag_error_free(err);
        ag_ingest_free(out);
        ag_options_free(opts);
        for (i = 0; i < 2 * nh; i++) free(hstore[i]);
        free(hstore);
        free(headers);
        free(body);
        free(ct);
        free(source);
        free(mapping);
    }
    free(line);
    fclose(f);
    free(manifest);
    return 0;
}
