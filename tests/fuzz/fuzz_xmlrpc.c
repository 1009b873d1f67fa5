/*
 * Fuzz target for XML-RPC request decoding and dispatch: the input is a
 * request body as it arrives on POST / (with @S@ standing for a live
 * session ref, see mgmt_world.h). Malformed bodies must be refused;
 * decoded calls go through rpc_call on the real core and the answer is
 * serialised. Invariants: a call gives a value or a XenAPI error (an array
 * of strings, the code first), and the answer is well-formed XML that
 * parses back.
 */
#include <assert.h>
#include <stdlib.h>

#include <libxml/parser.h>

#include "mgmt_world.h"
#include "rpc.h"
#include "xmlrpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mgmt_core *c = fuzz_mgmt_core();
    enum rpc_transport tr = size && (data[0] & 1) ? RPC_TCP : RPC_UNIX;
    size_t len;
    char *body = fuzz_mgmt_body(data, size, tr, &len);
    char *method;
    struct json_object *params, *error = NULL;
    if (xmlrpc_parse_call(body, len, &method, &params) == 0) {
        assert(method && json_object_is_type(params, json_type_array));
        struct json_object *res = rpc_call(c, tr, FUZZ_PEER, method, params, &error);
        fuzz_check_error(res, error);
        size_t n = 0;
        char *out = xmlrpc_response(res, error, &n);
        assert(out);
        xmlDoc *doc = xmlReadMemory(out, (int)n, "answer.xml", NULL,
                                    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
        assert(doc);
        xmlFreeDoc(doc);
        free(out);
        free(method);
        json_object_put(params);
        json_object_put(res);
        json_object_put(error);
    }
    free(body);
    return 0;
}
