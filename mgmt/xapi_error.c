#include "xapi_error.h"

#include <stdarg.h>

struct json_object *xapi_error(const char *code, ...)
{
    struct json_object *a = json_object_new_array();
    va_list ap;

    json_object_array_add(a, json_object_new_string(code));
    va_start(ap, code);
    for (const char *s; (s = va_arg(ap, const char *));)
        json_object_array_add(a, json_object_new_string(s));
    va_end(ap);
    return a;
}
