#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "xmlrpc.h"

static int parse(const char *s, char **m, struct json_object **p)
{
    return xmlrpc_parse_call(s, strlen(s), m, p);
}

TEST(typed_and_untyped_values)
{
    char *m;
    struct json_object *p;
    const char *doc =
        "<?xml version='1.0'?><methodCall><methodName>X.y</methodName><params>"
        "<param><value>plain</value></param>"
        "<param><value><string>s &amp; t</string></value></param>"
        "<param><value><i4>-5</i4></value></param>"
        "<param><value><i8>9000000000</i8></value></param>"
        "<param><value><boolean>1</boolean></value></param>"
        "<param><value><nil/></value></param>"
        "<param><value><array><data><value>a</value><value><int>2</int></value></data>"
        "</array></value></param>"
        "<param><value><struct><member><name>k</name><value>v</value></member></struct>"
        "</value></param>"
        "</params></methodCall>";
    REQUIRE(parse(doc, &m, &p) == 0);
    CHECK_STR_EQ(m, "X.y");
    REQUIRE(json_object_array_length(p) == 8);
    CHECK_STR_EQ(json_object_get_string(json_object_array_get_idx(p, 0)), "plain");
    CHECK_STR_EQ(json_object_get_string(json_object_array_get_idx(p, 1)), "s & t");
    CHECK_INT_EQ(json_object_get_int64(json_object_array_get_idx(p, 2)), -5);
    CHECK_INT_EQ(json_object_get_int64(json_object_array_get_idx(p, 3)), 9000000000LL);
    CHECK(json_object_get_boolean(json_object_array_get_idx(p, 4)));
    CHECK(json_object_array_get_idx(p, 5) == NULL);         /* JSON null */
    CHECK_INT_EQ(json_object_array_length(json_object_array_get_idx(p, 6)), 2);
    CHECK_STR_EQ(json_object_get_string(json_object_object_get(json_object_array_get_idx(p, 7),
                                                               "k")),
                 "v");
    free(m);
    json_object_put(p);
}

TEST(malformed_refused)
{
    const char *bad[] = {
        "", "<methodCall>", "<other/>", "<methodCall><params/></methodCall>",
        "<methodCall><methodName>x</methodName><params><param><value><int>1x</int>"
        "</value></param></params></methodCall>",
        "<methodCall><methodName>x</methodName><params><param><value><foo/></value>"
        "</param></params></methodCall>",
        "<!DOCTYPE m [<!ENTITY a 'b'>]><methodCall><methodName>&a;</methodName></methodCall>",
        "<methodCall><methodName>x</methodName><junk/></methodCall>",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *m;
        struct json_object *p;
        CHECK_INT_EQ(parse(bad[i], &m, &p), -EINVAL);
        CHECK(m == NULL && p == NULL);
    }
}

TEST(response_shapes)
{
    struct json_object *v = json_object_new_object();
    json_object_object_add(v, "n", json_object_new_int64(7));
    json_object_object_add(v, "b", json_object_new_boolean(1));
    json_object_object_add(v, "s", json_object_new_string("<&>"));
    size_t len;
    char *out = xmlrpc_response(v, NULL, &len);
    REQUIRE(out);
    CHECK_INT_EQ(strlen(out), len);
    CHECK(strstr(out, "<name>Status</name><value><string>Success</string>") != NULL);
    CHECK(strstr(out, "<name>n</name><value><string>7</string>") != NULL);
    CHECK(strstr(out, "<boolean>1</boolean>") != NULL);
    CHECK(strstr(out, "&lt;&amp;&gt;") != NULL);
    free(out);
    json_object_put(v);
    struct json_object *e = json_object_new_array();
    json_object_array_add(e, json_object_new_string("SESSION_INVALID"));
    out = xmlrpc_response(NULL, e, &len);
    REQUIRE(out);
    CHECK(strstr(out, "<string>Failure</string>") != NULL);
    CHECK(strstr(out, "<name>ErrorDescription</name><value><array><data><value><string>"
                      "SESSION_INVALID") != NULL);
    free(out);
    json_object_put(e);
    out = xmlrpc_response(NULL, NULL, &len);       /* void: "" */
    REQUIRE(out);
    CHECK(strstr(out, "<name>Value</name><value><string></string>") != NULL);
    free(out);
}

TAP_MAIN(typed_and_untyped_values, malformed_refused, response_shapes)
