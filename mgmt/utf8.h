/* UTF-8 checks for what crosses the management API: requests are refused
 * when a string is not valid UTF-8 or holds U+0000 (a C string would stop
 * there, so "<uuid>\u0000junk" would name the uuid), and every answer is
 * made valid UTF-8 before it is serialised (sysfs and xenstore values are
 * arbitrary bytes). */
#ifndef PVSCSI_MGMT_UTF8_H
#define PVSCSI_MGMT_UTF8_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

/* true if s[0..len) is well-formed UTF-8 (no overlong forms, surrogates or
 * code points above U+10FFFF) without U+0000. */
bool utf8_valid(const char *s, size_t len);

/* A malloc'd copy of s[0..len) with each byte that is not part of a
 * well-formed sequence, and each NUL, replaced by U+FFFD. NULL: no memory. */
char *utf8_sanitize(const char *s, size_t len);

/* Replaces, in place, every string value and object key of o that is not
 * utf8_valid by its sanitised form. false when out of memory. */
bool utf8_sanitize_tree(struct json_object *o);

/* The first string value or key of o that is not utf8_valid: writes where
 * it is (e.g. "params[1].VM", starting from `base`) and returns it, or
 * NULL when every string is valid. */
struct json_object *utf8_find_invalid(struct json_object *o, const char *base, char *where,
                                      size_t where_len);

#endif
