#include "xmlrpc.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlwriter.h>

static bool is(const xmlNode *n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && xmlStrcmp(n->name, BAD_CAST name) == 0;
}

/* The only element child of n; false if there are several or other junk. */
static const xmlNode *only_child(const xmlNode *n, bool *text_only)
{
    const xmlNode *found = NULL;
    *text_only = true;
    for (const xmlNode *c = n->children; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE) {
            if (found)
                return NULL;
            found = c;
            *text_only = false;
        } else if (c->type != XML_TEXT_NODE && c->type != XML_COMMENT_NODE) {
            *text_only = false;     /* entity references and the like */
            return NULL;
        }
    }
    return found;
}

static struct json_object *text_value(const xmlNode *n)
{
    xmlChar *t = xmlNodeGetContent(n);
    struct json_object *s = json_object_new_string(t ? (const char *)t : "");
    xmlFree(t);
    return s;
}

static struct json_object *int_value(const xmlNode *n)
{
    xmlChar *t = xmlNodeGetContent(n);
    const char *s = t ? (const char *)t : "";
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')
        end++;
    bool ok = end != s && *end == '\0' && errno == 0;
    xmlFree(t);
    return ok ? json_object_new_int64(v) : NULL;
}

/* One <value> into *out (NULL for <nil/>, JSON's null). false if malformed. */
static bool value(const xmlNode *v, int depth, struct json_object **out);

static struct json_object *array_value(const xmlNode *a, int depth)
{
    const xmlNode *data = NULL;
    for (const xmlNode *c = a->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE) {
            if (data || !is(c, "data"))
                return NULL;
            data = c;
        }
    if (!data)
        return NULL;
    struct json_object *arr = json_object_new_array();
    for (const xmlNode *c = data->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        struct json_object *e = NULL;
        if (!is(c, "value") || !value(c, depth + 1, &e)) {
            json_object_put(arr);
            return NULL;
        }
        json_object_array_add(arr, e);
    }
    return arr;
}

static struct json_object *struct_value(const xmlNode *s, int depth)
{
    struct json_object *obj = json_object_new_object();
    for (const xmlNode *m = s->children; m; m = m->next) {
        if (m->type != XML_ELEMENT_NODE)
            continue;
        const xmlNode *name = NULL, *val = NULL;
        bool bad = !is(m, "member");
        for (const xmlNode *c = m->children; !bad && c; c = c->next) {
            if (c->type != XML_ELEMENT_NODE)
                continue;
            if (is(c, "name") && !name)
                name = c;
            else if (is(c, "value") && !val)
                val = c;
            else
                bad = true;
        }
        struct json_object *e = NULL;
        if (bad || !name || !val || !value(val, depth + 1, &e)) {
            json_object_put(obj);
            return NULL;
        }
        xmlChar *key = xmlNodeGetContent(name);
        json_object_object_add(obj, key ? (const char *)key : "", e);
        xmlFree(key);
    }
    return obj;
}

/* A non-nil <value>: typed child, or its text (untyped means string). */
static struct json_object *plain_value(const xmlNode *v, const xmlNode *t, bool text_only,
                                       int depth)
{
    if (!t)
        return text_only ? text_value(v) : NULL;
    if (is(t, "string") || is(t, "base64") || is(t, "dateTime.iso8601"))
        return text_value(t);
    if (is(t, "int") || is(t, "i4") || is(t, "i8"))
        return int_value(t);
    if (is(t, "boolean")) {
        struct json_object *i = int_value(t);
        int64_t b = i ? json_object_get_int64(i) : -1;
        json_object_put(i);
        return b == 0 || b == 1 ? json_object_new_boolean(b == 1) : NULL;
    }
    if (is(t, "double")) {
        xmlChar *s = xmlNodeGetContent(t);
        char *end;
        double d = s ? strtod((const char *)s, &end) : 0;
        bool ok = s && end != (char *)s && *end == '\0';
        xmlFree(s);
        return ok ? json_object_new_double(d) : NULL;
    }
    if (is(t, "array"))
        return array_value(t, depth);
    if (is(t, "struct"))
        return struct_value(t, depth);
    return NULL;
}

static bool value(const xmlNode *v, int depth, struct json_object **out)
{
    bool text_only;
    *out = NULL;
    if (depth > XMLRPC_MAX_DEPTH)
        return false;
    const xmlNode *t = only_child(v, &text_only);
    if (t && is(t, "nil"))
        return t->children == NULL;
    *out = plain_value(v, t, text_only, depth);
    return *out != NULL;
}

int xmlrpc_parse_call(const char *body, size_t len, char **method,
                      struct json_object **params)
{
    *method = NULL;
    *params = NULL;
    if (len > INT_MAX)
        return -EINVAL;
    /* No network, no entity substitution, no DTD loading. */
    xmlDoc *doc = xmlReadMemory(body, (int)len, "request.xml", NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc)
        return -EINVAL;
    int r = -EINVAL;
    const xmlNode *root = xmlDocGetRootElement(doc);
    const xmlNode *name = NULL, *ps = NULL;
    if (doc->intSubset || !is(root, "methodCall"))
        goto out;
    for (const xmlNode *c = root->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (is(c, "methodName") && !name)
            name = c;
        else if (is(c, "params") && !ps)
            ps = c;
        else
            goto out;
    }
    if (!name)
        goto out;
    struct json_object *arr = json_object_new_array();
    for (const xmlNode *p = ps ? ps->children : NULL; p; p = p->next) {
        if (p->type != XML_ELEMENT_NODE)
            continue;
        const xmlNode *v = NULL;
        bool bad = !is(p, "param");
        for (const xmlNode *c = p->children; !bad && c; c = c->next)
            if (c->type == XML_ELEMENT_NODE) {
                bad = v != NULL || !is(c, "value");
                v = c;
            }
        struct json_object *e = NULL;
        if (bad || !v || !value(v, 1, &e)) {
            json_object_put(arr);
            goto out;
        }
        json_object_array_add(arr, e);
    }
    xmlChar *m = xmlNodeGetContent(name);
    if (!m || m[0] == '\0') {
        xmlFree(m);
        json_object_put(arr);
        goto out;
    }
    *method = strdup((const char *)m);
    xmlFree(m);
    if (!*method) {
        json_object_put(arr);
        r = -ENOMEM;
        goto out;
    }
    *params = arr;
    r = 0;
out:
    xmlFreeDoc(doc);
    return r;
}

static int write_value(xmlTextWriterPtr w, struct json_object *v, int depth)
{
    int ok = xmlTextWriterStartElement(w, BAD_CAST "value") >= 0;
    char num[32];
    if (depth > XMLRPC_MAX_DEPTH)
        return -1;
    switch (json_object_get_type(v)) {
    case json_type_int:
        snprintf(num, sizeof(num), "%" PRId64, json_object_get_int64(v));
        ok = ok && xmlTextWriterWriteElement(w, BAD_CAST "string", BAD_CAST num) >= 0;
        break;
    case json_type_boolean:
        ok = ok && xmlTextWriterWriteElement(w, BAD_CAST "boolean",
                                             BAD_CAST(json_object_get_boolean(v) ? "1" : "0")) >= 0;
        break;
    case json_type_double:
        snprintf(num, sizeof(num), "%.17g", json_object_get_double(v));
        ok = ok && xmlTextWriterWriteElement(w, BAD_CAST "double", BAD_CAST num) >= 0;
        break;
    case json_type_array:
        ok = ok && xmlTextWriterStartElement(w, BAD_CAST "array") >= 0 &&
             xmlTextWriterStartElement(w, BAD_CAST "data") >= 0;
        for (size_t i = 0; ok && i < json_object_array_length(v); i++)
            ok = write_value(w, json_object_array_get_idx(v, i), depth + 1) >= 0;
        ok = ok && xmlTextWriterEndElement(w) >= 0 && xmlTextWriterEndElement(w) >= 0;
        break;
    case json_type_object:
        ok = ok && xmlTextWriterStartElement(w, BAD_CAST "struct") >= 0;
        json_object_object_foreach(v, key, val)
        {
            ok = ok && xmlTextWriterStartElement(w, BAD_CAST "member") >= 0 &&
                 xmlTextWriterWriteElement(w, BAD_CAST "name", BAD_CAST key) >= 0 &&
                 write_value(w, val, depth + 1) >= 0 && xmlTextWriterEndElement(w) >= 0;
        }
        ok = ok && xmlTextWriterEndElement(w) >= 0;
        break;
    case json_type_null:    /* XenAPI's void is the empty string */
        ok = ok && xmlTextWriterWriteElement(w, BAD_CAST "string", BAD_CAST "") >= 0;
        break;
    case json_type_string:
        ok = ok && xmlTextWriterWriteElement(w, BAD_CAST "string",
                                             BAD_CAST json_object_get_string(v)) >= 0;
        break;
    }
    return ok && xmlTextWriterEndElement(w) >= 0 ? 0 : -1;
}

char *xmlrpc_response(struct json_object *val, struct json_object *error, size_t *len)
{
    struct json_object *wrap = json_object_new_object();
    if (!wrap)
        return NULL;
    if (error) {
        json_object_object_add(wrap, "Status", json_object_new_string("Failure"));
        json_object_object_add(wrap, "ErrorDescription", json_object_get(error));
    } else {
        json_object_object_add(wrap, "Status", json_object_new_string("Success"));
        json_object_object_add(wrap, "Value", val ? json_object_get(val)
                                                  : json_object_new_string(""));
    }
    xmlBufferPtr buf = xmlBufferCreate();
    xmlTextWriterPtr w = buf ? xmlNewTextWriterMemory(buf, 0) : NULL;
    char *out = NULL;
    bool ok = w && xmlTextWriterStartDocument(w, "1.0", NULL, NULL) >= 0 &&
              xmlTextWriterStartElement(w, BAD_CAST "methodResponse") >= 0 &&
              xmlTextWriterStartElement(w, BAD_CAST "params") >= 0 &&
              xmlTextWriterStartElement(w, BAD_CAST "param") >= 0 &&
              write_value(w, wrap, 0) >= 0 && xmlTextWriterEndDocument(w) >= 0;
    if (w)
        xmlFreeTextWriter(w);   /* flushes into buf */
    if (ok && buf) {
        *len = (size_t)xmlBufferLength(buf);
        out = malloc(*len + 1);
        if (out) {
            memcpy(out, xmlBufferContent(buf), *len);
            out[*len] = '\0';
        }
    }
    if (buf)
        xmlBufferFree(buf);
    json_object_put(wrap);
    return out;
}
