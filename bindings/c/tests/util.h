/* Helpers shared by the C tests: files, and the hex-encoded manifest fields
 * that check.py writes ("-" stands for NULL). */
#ifndef AG_TEST_UTIL_H
#define AG_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whole file into a malloc'd buffer; *len set. Exits on error. */
static inline unsigned char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    long n;
    unsigned char *buf;
    if (!f) { fprintf(stderr, "cannot open %s\n", path); exit(2); }
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) { fprintf(stderr, "cannot read %s\n", path); exit(2); }
    buf[n] = 0;
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static inline int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* Decodes a hex field into a NUL-terminated malloc'd buffer; NULL for "-". */
static inline char *unhex(const char *field, size_t *len) {
    size_t n, i;
    char *out;
    if (strcmp(field, "-") == 0) { if (len) *len = 0; return NULL; }
    n = strlen(field) / 2;
    out = malloc(n + 1);
    if (!out) exit(2);
    for (i = 0; i < n; i++) {
        int hi = hexval(field[2 * i]), lo = hexval(field[2 * i + 1]);
        if (hi < 0 || lo < 0) { fprintf(stderr, "bad hex field\n"); exit(2); }
        out[i] = (char)(hi * 16 + lo);
    }
    out[n] = 0;
    if (len) *len = n;
    return out;
}

/* Splits a line on tabs in place; returns the number of fields (at most max). */
static inline size_t split_tabs(char *line, char **fields, size_t max) {
    size_t n = 0;
    char *p = line;
    while (n < max) {
        char *tab = strchr(p, '\t');
        fields[n++] = p;
        if (!tab) break;
        *tab = 0;
        p = tab + 1;
    }
    return n;
}

/* Prints bytes as lowercase hex. */
static inline void put_hex(const char *s, size_t len) {
    size_t i;
    for (i = 0; i < len; i++) printf("%02x", (unsigned char)s[i]);
}

#endif
