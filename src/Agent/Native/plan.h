/* The plan: what the C# runtime decided, in a format a static C helper can read
 * without a JSON parser. A plan is a sequence of records; a record is an op name
 * followed by fields. Each token is "<decimal length>:<bytes>," and a record
 * ends with ';'. Bytes may be anything but NUL, so paths and env values need no
 * escaping. Parsing is in place: the ',' after each token becomes its NUL. */
#ifndef CC_PLAN_H
#define CC_PLAN_H

#include <stddef.h>

#define PLAN_MAX_FIELDS 10

struct plan_record {
    const char *op;
    int nfields;
    char *f[PLAN_MAX_FIELDS];
};

struct plan {
    char *buf;
    size_t len;
    int nrecords;
    struct plan_record *records;
};

/* Reads all of fd and parses it. Returns 0, or -1 with a message in err. */
int plan_read(int fd, struct plan *p, char *err, size_t errlen);

#endif
