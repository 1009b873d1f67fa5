#include "jsonrpc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"
#include "xapi_error.h"

/* true if the raw body has the escape \u0000 (json-c cuts member names
 * there, so only the raw text shows it). */
static bool has_nul_escape(const char *body, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++) {
        if (body[i] != '\\')
            continue;
        if (body[i + 1] == 'u' && i + 5 < len && memcmp(body + i + 2, "0000", 4) == 0)
            return true;
        i++;    /* the escaped character, which may be a backslash */
    }
    return false;
}

/* INVALID_VALUE [where, value made readable] for the first bad string. */
static struct json_object *check_strings(const struct jsonrpc_call *c, const char *body,
                                         size_t len)
{
    char where[160];
    struct json_object *bad = utf8_find_invalid(c->id, "id", where, sizeof(where));
    if (!bad) {
        struct json_object *m = json_object_new_string(c->method);
        bad = utf8_find_invalid(m, "method", where, sizeof(where));
        json_object_put(m);
        if (bad)
            return xapi_error("INVALID_VALUE", "method", "not UTF-8", NULL);
    }
    if (!bad)
        bad = utf8_find_invalid(c->params, "params", where, sizeof(where));
    if (!bad)
        return has_nul_escape(body, len)
                   ? xapi_error("INVALID_VALUE", "a member name", "contains U+0000", NULL)
                   : NULL;
    if (!json_object_is_type(bad, json_type_string))
        return xapi_error("INVALID_VALUE", where, "not UTF-8 or contains U+0000", NULL);
    char *shown = utf8_sanitize(json_object_get_string(bad),
                                (size_t)json_object_get_string_len(bad));
    struct json_object *e =
        xapi_error("INVALID_VALUE", where, shown ? shown : "not UTF-8 or contains U+0000", NULL);
    free(shown);
    return e;
}

int jsonrpc_parse_call(const char *body, size_t len, struct jsonrpc_call *c)
{
    memset(c, 0, sizeof(*c));
    if (len > (size_t)INT32_MAX || memchr(body, '\0', len))
        return -EINVAL;
    struct json_tokener *tok = json_tokener_new_ex(JSONRPC_MAX_DEPTH);
    if (!tok)
        return -ENOMEM;
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    struct json_object *o = json_tokener_parse_ex(tok, body, (int)len);
    size_t end = json_tokener_get_parse_end(tok);
    bool done = json_tokener_get_error(tok) == json_tokener_success;
    json_tokener_free(tok);
    while (end < len && strchr(" \t\r\n", body[end]))
        end++;
    if (!o || !done || end != len || !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        return -EINVAL;
    }
    struct json_object *m, *p = NULL, *id, *ver;
    bool ok = json_object_object_get_ex(o, "method", &m) &&
              json_object_is_type(m, json_type_string) && json_object_get_string_len(m) > 0 &&
              json_object_object_get_ex(o, "id", &id) &&
              (json_object_is_type(id, json_type_string) || json_object_is_type(id, json_type_int));
    if (ok && json_object_object_get_ex(o, "params", &p))
        ok = json_object_is_type(p, json_type_array);
    if (ok && json_object_object_get_ex(o, "jsonrpc", &ver)) {
        ok = json_object_is_type(ver, json_type_string) &&
             strcmp(json_object_get_string(ver), "2.0") == 0;
        c->v2 = ok;
    }
    if (ok) {
        c->method = strdup(json_object_get_string(m));
        c->params = p ? json_object_get(p) : json_object_new_array();
        c->id = json_object_get(id);
        ok = c->method && c->params;
    }
    /* The method name is a C string: its length says whether it was cut. */
    if (ok && strlen(c->method) != (size_t)json_object_get_string_len(m)) {
        free(c->method);
        c->method = strdup("");
        c->reject = xapi_error("INVALID_VALUE", "method", "contains U+0000", NULL);
        ok = c->method != NULL;
    }
    if (ok && !c->reject)
        c->reject = check_strings(c, body, len);
    json_object_put(o);
    if (!ok) {
        jsonrpc_call_free(c);
        return -EINVAL;
    }
    return 0;
}

void jsonrpc_call_free(struct jsonrpc_call *c)
{
    free(c->method);
    json_object_put(c->params);
    json_object_put(c->id);
    json_object_put(c->reject);
    memset(c, 0, sizeof(*c));
}

char *jsonrpc_response(const struct jsonrpc_call *c, struct json_object *value,
                       struct json_object *error, size_t *len)
{
    struct json_object *r = json_object_new_object();
    if (!r)
        return NULL;
    if (c->v2) {
        json_object_object_add(r, "jsonrpc", json_object_new_string("2.0"));
        if (error) {
            struct json_object *e = json_object_new_object(), *data = json_object_new_array();
            size_t n = json_object_array_length(error);
            for (size_t i = 1; i < n; i++)
                json_object_array_add(data, json_object_get(json_object_array_get_idx(error, i)));
            json_object_object_add(e, "code", json_object_new_int(1));
            json_object_object_add(e, "message",
                                   json_object_get(json_object_array_get_idx(error, 0)));
            json_object_object_add(e, "data", data);
            json_object_object_add(r, "error", e);
        } else {
            json_object_object_add(r, "result", json_object_get(value));
        }
    } else {
        json_object_object_add(r, "result", error ? NULL : json_object_get(value));
        json_object_object_add(r, "error", error ? json_object_get(error) : NULL);
    }
    json_object_object_add(r, "id", json_object_get(c->id));
    /* The id is echoed as sent; whatever is not UTF-8 in it or in the
     * answer must not make the answer invalid JSON. */
    if (!utf8_sanitize_tree(r)) {
        json_object_put(r);
        return NULL;
    }
    size_t n;
    const char *s = json_object_to_json_string_length(r, JSON_C_TO_STRING_PLAIN |
                                                          JSON_C_TO_STRING_NOSLASHESCAPE, &n);
    char *out = s ? malloc(n + 1) : NULL;
    if (out) {
        memcpy(out, s, n + 1);
        *len = n;
    }
    json_object_put(r);
    return out;
}
