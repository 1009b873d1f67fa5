/* XenAPI errors: an array of strings, the code first, then its parameters
 * (HANDLE_INVALID [class, ref], FIELD_TYPE_ERROR [name], ...). */
#ifndef PVSCSID_XAPI_ERROR_H
#define PVSCSID_XAPI_ERROR_H

#include <json-c/json.h>

/* A new error array from the code and NULL-terminated string params. */
struct json_object *xapi_error(const char *code, ...) __attribute__((sentinel));

#endif
