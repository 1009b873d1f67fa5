#include "utf8.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of the well-formed sequence at s (n bytes left), 0 if none
 * (Unicode 15, table 3-7), NUL included as invalid. */
static size_t seq_len(const unsigned char *s, size_t n)
{
    unsigned char b = s[0];
    if (b >= 0x01 && b <= 0x7f)
        return 1;
    size_t len;
    unsigned char lo = 0x80, hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf)
        len = 2;
    else if (b >= 0xe0 && b <= 0xef) {
        len = 3;
        if (b == 0xe0)
            lo = 0xa0;          /* no overlong forms */
        else if (b == 0xed)
            hi = 0x9f;          /* no surrogates */
    } else if (b >= 0xf0 && b <= 0xf4) {
        len = 4;
        if (b == 0xf0)
            lo = 0x90;
        else if (b == 0xf4)
            hi = 0x8f;          /* nothing above U+10FFFF */
    } else {
        return 0;
    }
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return len;
}

bool utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        size_t l = seq_len(p + i, len - i);
        if (!l)
            return false;
        i += l;
    }
    return true;
}

char *utf8_sanitize(const char *s, size_t len)
{
    if (len > (SIZE_MAX - 1) / 3)
        return NULL;
    char *out = malloc(len * 3 + 1), *o = out;
    if (!out)
        return NULL;
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        size_t l = seq_len(p + i, len - i);
        if (l) {
            memcpy(o, p + i, l);
            o += l;
            i += l;
        } else {
            memcpy(o, "\xef\xbf\xbd", 3);   /* U+FFFD */
            o += 3;
            i++;
        }
    }
    *o = '\0';
    return out;
}

static bool str_ok(struct json_object *s)
{
    return utf8_valid(json_object_get_string(s), (size_t)json_object_get_string_len(s));
}

bool utf8_sanitize_tree(struct json_object *o)
{
    switch (json_object_get_type(o)) {
    case json_type_string:
        if (!str_ok(o)) {
            char *t = utf8_sanitize(json_object_get_string(o),
                                    (size_t)json_object_get_string_len(o));
            if (!t)
                return false;
            json_object_set_string(o, t);
            free(t);
        }
        return true;
    case json_type_array:
        for (size_t i = 0; i < json_object_array_length(o); i++)
            if (!utf8_sanitize_tree(json_object_array_get_idx(o, i)))
                return false;
        return true;
    case json_type_object: {
        /* Keys cannot be renamed in place: bad ones are re-added. */
        struct json_object *bad = NULL;
        json_object_object_foreach(o, key, val)
        {
            if (!utf8_sanitize_tree(val)) {
                json_object_put(bad);
                return false;
            }
            if (!utf8_valid(key, strlen(key))) {
                if (!bad)
                    bad = json_object_new_object();
                json_object_object_add(bad, key, json_object_get(val));
            }
        }
        if (!bad)
            return true;
        bool ok = true;
        json_object_object_foreach(bad, k, v)
        {
            char *t = utf8_sanitize(k, strlen(k));
            if (!t) {
                ok = false;
                break;
            }
            json_object_object_del(o, k);
            json_object_object_add(o, t, json_object_get(v));
            free(t);
        }
        json_object_put(bad);
        return ok;
    }
    default:
        return true;
    }
}

struct json_object *utf8_find_invalid(struct json_object *o, const char *base, char *where,
                                      size_t where_len)
{
    char sub[128];
    struct json_object *hit;
    switch (json_object_get_type(o)) {
    case json_type_string:
        if (str_ok(o))
            return NULL;
        snprintf(where, where_len, "%s", base);
        return o;
    case json_type_array:
        for (size_t i = 0; i < json_object_array_length(o); i++) {
            snprintf(sub, sizeof(sub), "%s[%zu]", base, i);
            if ((hit = utf8_find_invalid(json_object_array_get_idx(o, i), sub, where,
                                         where_len)))
                return hit;
        }
        return NULL;
    case json_type_object: {
        json_object_object_foreach(o, key, val)
        {
            if (!utf8_valid(key, strlen(key))) {
                snprintf(where, where_len, "%s (a member name)", base);
                return o;
            }
            /* A long member name is shown cut: it only locates the value. */
            snprintf(sub, sizeof(sub), "%s.%.60s", base, key);
            if ((hit = utf8_find_invalid(val, sub, where, where_len)))
                return hit;
        }
        return NULL;
    }
    default:
        return NULL;
    }
}
