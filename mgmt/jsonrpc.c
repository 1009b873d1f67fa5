#include "jsonrpc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

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
