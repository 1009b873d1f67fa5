#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "jsonrpc.h"
#include "tap.h"

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

TAP_MAIN(v1_and_v2_calls, malformed_refused)
