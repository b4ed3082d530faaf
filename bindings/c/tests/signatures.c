/* Runs every signature vector (manifest from check.py) through
 * ag_verifier_new + ag_verify (ag_verifier_verify_with_certificate with the
 * case's certificate, for SNS), and ag_sign where the case asks, printing
 * name TAB ("valid" | error code) [TAB hex(signed headers JSON)]. */
#include "alertgate.h"
#include "util.h"

#define MAX_FIELDS 256

int main(int argc, char **argv) {
    size_t cap = 0, mlen;
    char *line = NULL, *manifest;
    FILE *f;
    if (argc != 2) { fprintf(stderr, "usage: signatures MANIFEST\n"); return 2; }
    manifest = (char *)read_file(argv[1], &mlen);
    f = fmemopen(manifest, mlen, "r");
    while (getline(&line, &cap, f) > 0) {
        char *fields[MAX_FIELDS], *scheme, *strings[7], **secrets, **hstore, *body, *sign_id, *cert;
        size_t n, i, ns, nh, at, body_len, cert_len;
        ag_verify_options opts = ag_verify_options_default();
        ag_header *headers;
        ag_verifier *v;
        ag_error *err = NULL;
        int64_t now, sign_ts;
        int do_sign, has_ts;
        line[strcspn(line, "\n")] = 0;
        n = split_tabs(line, fields, MAX_FIELDS);
        scheme = unhex(fields[1], NULL);
        ns = (size_t)atoi(fields[2]);
        secrets = calloc(ns + 1, sizeof *secrets);
        for (i = 0; i < ns; i++) secrets[i] = unhex(fields[3 + i], NULL);
        at = 3 + ns;
        opts.tolerance = (uint64_t)strtoull(fields[at++], NULL, 10);
        for (i = 0; i < 7; i++) strings[i] = unhex(fields[at++], NULL);
        opts.signature_header = strings[0];
        opts.timestamp_header = strings[1];
        opts.timestamp_unit = strings[2];
        opts.id_header = strings[3];
        opts.prefix = strings[4];
        opts.signed_content = strings[5];
        opts.topic_arn = strings[6];
        nh = (size_t)atoi(fields[at++]);
        headers = calloc(nh ? nh : 1, sizeof *headers);
        hstore = calloc(2 * nh + 1, sizeof *hstore);
        for (i = 0; i < nh; i++) {
            hstore[2 * i] = unhex(fields[at++], &headers[i].name_len);
            hstore[2 * i + 1] = unhex(fields[at++], &headers[i].value_len);
            headers[i].name = hstore[2 * i];
            headers[i].value = hstore[2 * i + 1];
        }
        body = unhex(fields[at++], &body_len);
        now = strtoll(fields[at++], NULL, 10);
        cert = unhex(fields[at++], &cert_len);
        do_sign = strcmp(fields[at++], "1") == 0;
        has_ts = strcmp(fields[at], "-") != 0;
        sign_ts = has_ts ? strtoll(fields[at], NULL, 10) : 0;
        at++;
        sign_id = unhex(fields[at++], NULL);
        if (at != n) { fprintf(stderr, "bad manifest line for %s\n", fields[0]); return 2; }

        v = ag_verifier_new(scheme, (const char *const *)secrets, ns, &opts, &err);
        if (!v) {
            printf("%s\t%s", fields[0], err ? ag_error_code(err) : "?");
        } else if ((cert ? ag_verifier_verify_with_certificate(v, headers, nh, (const uint8_t *)body, body_len, now,
                                                               (const uint8_t *)cert, cert_len, &err)
                         : ag_verify(v, headers, nh, (const uint8_t *)body, body_len, now, &err)) == AG_STATUS_OK) {
            printf("%s\tvalid", fields[0]);
        } else {
            printf("%s\t%s", fields[0], ag_error_code(err));
        }
        ag_error_free(err);
        err = NULL;
        if (do_sign) {
            char *json = NULL;
            if (ag_sign(scheme, secrets[0], (const uint8_t *)body, body_len, has_ts ? &sign_ts : NULL, sign_id,
                        &opts, &json, &err) == AG_STATUS_OK) {
                printf("\t");
                put_hex(json, strlen(json));
            } else {
                printf("\tsign failed: %s", err ? ag_error_message(err) : "?");
            }
            ag_string_free(json);
            ag_error_free(err);
        }
        printf("\n");
        ag_verifier_free(v);
        for (i = 0; i < ns; i++) free(secrets[i]);
        for (i = 0; i < 7; i++) free(strings[i]);
        for (i = 0; i < 2 * nh; i++) free(hstore[i]);
        free(secrets);
        free(hstore);
        free(headers);
        free(scheme);
        free(body);
        free(cert);
        free(sign_id);
    }
    free(line);
    fclose(f);
    free(manifest);
    return 0;
}
