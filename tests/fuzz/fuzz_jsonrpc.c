/*
 * Fuzz target for JSON-RPC request decoding and dispatch: the input is a
 * request body as it arrives on POST /jsonrpc (with @S@ standing for a
 * live session ref, see mgmt_world.h). Malformed bodies must be refused;
 * well-formed calls with bad strings are answered with their error,
 * others go through rpc_call on the real core. Invariants: a value or a
 * XenAPI error, and an answer that is valid UTF-8 JSON carrying the id.
 */
#include <assert.h>
#include <stdlib.h>

#include "jsonrpc.h"
#include "mgmt_world.h"
#include "rpc.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mgmt_core *c = fuzz_mgmt_core();
    enum rpc_transport tr = size && (data[0] & 1) ? RPC_TCP : RPC_UNIX;
    size_t len;
    char *body = fuzz_mgmt_body(data, size, tr, &len);
    struct jsonrpc_call call;
    if (jsonrpc_parse_call(body, len, &call) == 0) {
        struct json_object *res = NULL, *error = NULL;
        if (call.reject)
            error = json_object_get(call.reject);
        else
            res = rpc_call(c, tr, FUZZ_PEER, call.method, call.params, &error);
        fuzz_check_error(res, error);
        size_t n = 0;
        char *out = jsonrpc_response(&call, res, error, &n);
        assert(out && utf8_valid(out, n));
        struct json_object *back = json_tokener_parse(out);
        assert(back && json_object_object_get_ex(back, "id", NULL));
        json_object_put(back);
        free(out);
        json_object_put(res);
        json_object_put(error);
        jsonrpc_call_free(&call);
    }
    free(body);
    return 0;
}
