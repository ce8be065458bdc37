#include "plan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int read_all(int fd, char **out, size_t *outlen)
{
    size_t cap = 16384, len = 0;
    char *buf = malloc(cap);
    if (!buf)
        return -1;
    for (;;) {
        if (len + 4096 > cap) {
            char *n = realloc(buf, cap *= 2);
            if (!n) {
                free(buf);
                return -1;
            }
            buf = n;
        }
        ssize_t r = read(fd, buf + len, cap - len - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            free(buf);
            return -1;
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    buf[len] = 0;
    *out = buf;
    *outlen = len;
    return 0;
}

int plan_read(int fd, struct plan *p, char *err, size_t errlen)
{
    memset(p, 0, sizeof(*p));
    if (read_all(fd, &p->buf, &p->len) < 0) {
        snprintf(err, errlen, "reading plan: %s", strerror(errno));
        return -1;
    }
    int cap = 64;
    p->records = calloc((size_t)cap, sizeof(struct plan_record));
    if (!p->records) {
        snprintf(err, errlen, "plan: out of memory");
        return -1;
    }
    size_t i = 0;
    struct plan_record *rec = NULL;
    int ntok = 0;
    while (i < p->len) {
        if (p->buf[i] == ';') {
            if (!rec) {
                snprintf(err, errlen, "plan: empty record at byte %zu", i);
                return -1;
            }
            rec = NULL;
            i++;
            continue;
        }
        if (p->buf[i] == '\n') {
            i++;
            continue;
        }
        size_t n = 0, start = i;
        while (i < p->len && p->buf[i] >= '0' && p->buf[i] <= '9') {
            n = n * 10 + (size_t)(p->buf[i++] - '0');
            if (n > p->len) { /* also stops the arithmetic from wrapping */
                snprintf(err, errlen, "plan: token length at byte %zu exceeds the plan", start);
                return -1;
            }
        }
        if (i == start || i >= p->len || p->buf[i] != ':' || i + 1 + n >= p->len || p->buf[i + 1 + n] != ',') {
            snprintf(err, errlen, "plan: malformed token at byte %zu", start);
            return -1;
        }
        char *tok = p->buf + i + 1;
        tok[n] = 0;
        i += n + 2;
        if (!rec) {
            if (p->nrecords == cap) {
                cap *= 2;
                struct plan_record *grown = realloc(p->records, (size_t)cap * sizeof(struct plan_record));
                if (!grown) {
                    snprintf(err, errlen, "plan: out of memory");
                    return -1;
                }
                p->records = grown;
            }
            rec = &p->records[p->nrecords++];
            memset(rec, 0, sizeof(*rec));
            rec->op = tok;
            ntok = 0;
        } else {
            if (ntok == PLAN_MAX_FIELDS) {
                snprintf(err, errlen, "plan: too many fields in \"%s\"", rec->op);
                return -1;
            }
            rec->f[ntok++] = tok;
            rec->nfields = ntok;
        }
    }
    if (rec) {
        snprintf(err, errlen, "plan: last record not terminated");
        return -1;
    }
    return 0;
}
