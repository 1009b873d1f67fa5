#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "jsonrpc.h"
#include "tap.h"
#include "utf8.h"

static int parse(const char *s, struct jsonrpc_call *c)
{
    return jsonrpc_parse_call(s, strlen(s), c);
}

TEST(v1_and_v2_calls)
{
    struct jsonrpc_call c;
    REQUIRE(parse("{\"method\":\"VM.get_all\",\"params\":[\"s\"],\"id\":7}", &c) == 0);
    CHECK_STR_EQ(c.method, "VM.get_all");
    CHECK(!c.v2);
    CHECK_INT_EQ(json_object_array_length(c.params), 1);
    struct json_object *v = json_object_new_string("ok");
    size_t len;
    char *out = jsonrpc_response(&c, v, NULL, &len);
    CHECK_STR_EQ(out, "{\"result\":\"ok\",\"error\":null,\"id\":7}");
    free(out);
    json_object_put(v);
    jsonrpc_call_free(&c);

    REQUIRE(parse(" {\"jsonrpc\":\"2.0\",\"method\":\"m\",\"id\":\"x\"} \n", &c) == 0);
    CHECK(c.v2);
    CHECK_INT_EQ(json_object_array_length(c.params), 0);
    struct json_object *e = json_object_new_array();
    json_object_array_add(e, json_object_new_string("HANDLE_INVALID"));
    json_object_array_add(e, json_object_new_string("VM"));
    out = jsonrpc_response(&c, NULL, e, &len);
    CHECK_STR_EQ(out, "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":1,\"message\":\"HANDLE_INVALID\","
                      "\"data\":[\"VM\"]},\"id\":\"x\"}");
    free(out);
    json_object_put(e);
    jsonrpc_call_free(&c);
}

TEST(malformed_refused)
{
    const char *bad[] = {
        "", "{", "[]", "{\"method\":\"m\"}", "{\"method\":\"m\",\"id\":null}",
        "{\"method\":\"\",\"id\":1}", "{\"method\":\"m\",\"id\":1,\"params\":{}}",
        "{\"method\":\"m\",\"id\":1} x", "{\"method\":\"m\",\"id\":1,\"jsonrpc\":\"1.5\"}",
        "{\"method\":\"m\",\"id\":1,\"params\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]"
        "]]]]]]]]]]]]]]]]]]]]]]]]]}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct jsonrpc_call c;
        CHECK_INT_EQ(parse(bad[i], &c), -EINVAL);
        CHECK(c.method == NULL);
    }
    struct jsonrpc_call c;
    CHECK_INT_EQ(jsonrpc_parse_call("{\"method\":\"m\",\"id\":1}\0x", 24, &c), -EINVAL);
}

/* Well-formed calls whose strings are not UTF-8 or hold U+0000 are not
 * dispatched: they carry the error to answer, which is valid JSON. */
TEST(bad_strings_rejected_with_an_error)
{
    static const char *const bad[][2] = {
        {"{\"method\":\"VM.get_all\",\"params\":[\"OpaqueRef:x\\u0000junk\"],\"id\":1}",
         "params[0]"},
        {"{\"method\":\"VM.get_all\",\"params\":[\"s\", {\"VM\":\"a\xff\"}],\"id\":1}",
         "params[1].VM"},
        {"{\"method\":\"VM.get\\u0000_all\",\"params\":[],\"id\":1}", "method"},
        {"{\"method\":\"VM.get_all\xc0\xaf\",\"params\":[],\"id\":1}", "method"},
        {"{\"method\":\"m\",\"params\":[{\"V\\u0000M\":1}],\"id\":1}", "a member name"},
        {"{\"method\":\"m\",\"params\":[\"\\ud800\"],\"id\":\"\xfe\"}", NULL},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct jsonrpc_call c;
        REQUIRE(parse(bad[i][0], &c) == 0);
        REQUIRE(c.reject != NULL);
        CHECK_STR_EQ(json_object_get_string(json_object_array_get_idx(c.reject, 0)),
                     "INVALID_VALUE");
        if (bad[i][1])
            CHECK_STR_EQ(json_object_get_string(json_object_array_get_idx(c.reject, 1)),
                         bad[i][1]);
        size_t len;
        char *out = jsonrpc_response(&c, NULL, c.reject, &len);
        REQUIRE(out);
        TAP_DIAG("%s", out);
        CHECK(utf8_valid(out, len));
        struct json_object *back = json_tokener_parse(out);
        CHECK(back != NULL);
        json_object_put(back);
        free(out);
        jsonrpc_call_free(&c);
    }
    /* An escaped backslash before u0000 is no NUL. */
    struct jsonrpc_call c;
    REQUIRE(parse("{\"method\":\"m\",\"params\":[\"\\\\u0000\"],\"id\":1}", &c) == 0);
    CHECK(c.reject == NULL);
    CHECK_STR_EQ(json_object_get_string(json_object_array_get_idx(c.params, 0)), "\\u0000");
    jsonrpc_call_free(&c);
}

TAP_MAIN(v1_and_v2_calls, malformed_refused, bad_strings_rejected_with_an_error)
