#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "utf8.h"

#define V(lit) utf8_valid(lit, sizeof(lit) - 1)

TEST(well_formed_sequences_pass)
{
    CHECK(V(""));
    CHECK(V("plain ascii"));
    CHECK(V("caf\xc3\xa9"));                 /* U+00E9 */
    CHECK(V("\xe2\x82\xac"));                /* U+20AC */
    CHECK(V("\xf0\x9f\x92\xbe"));            /* U+1F4BE */
    CHECK(V("\xf4\x8f\xbf\xbf"));            /* U+10FFFF, the last */
    CHECK(V("\xed\x9f\xbf"));                /* U+D7FF, below the surrogates */
}

TEST(ill_formed_sequences_fail)
{
    CHECK(!V("a\0b"));                       /* U+0000 */
    CHECK(!V("\xff"));
    CHECK(!V("\x80"));                       /* lone continuation byte */
    CHECK(!V("\xc3"));                       /* cut short */
    CHECK(!V("\xc0\xaf"));                   /* overlong '/' */
    CHECK(!V("\xe0\x80\xaf"));               /* overlong, three bytes */
    CHECK(!V("\xf0\x80\x80\xaf"));           /* overlong, four bytes */
    CHECK(!V("\xed\xa0\x80"));               /* U+D800, a surrogate */
    CHECK(!V("\xf4\x90\x80\x80"));           /* U+110000 */
    CHECK(!V("\xe2\x82"));                   /* cut short */
    CHECK(!V("ok\xe2\x28\xa1"));             /* bad continuation */
}

TEST(sanitize_replaces_each_bad_byte)
{
    char *s = utf8_sanitize("a\xff" "b\0c\xc3\xa9", 7);
    REQUIRE(s);
    CHECK_STR_EQ(s, "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c\xc3\xa9");
    CHECK(utf8_valid(s, strlen(s)));
    free(s);
}

TEST(tree_sanitised_in_place_values_and_keys)
{
    struct json_object *o = json_object_new_object();
    struct json_object *a = json_object_new_array();
    json_object_array_add(a, json_object_new_string("fine"));
    json_object_array_add(a, json_object_new_string_len("x\0y", 3));
    json_object_object_add(o, "list", a);
    json_object_object_add(o, "bad\xfekey", json_object_new_string("v\xc0"));
    char where[64];
    struct json_object *hit = utf8_find_invalid(o, "params", where, sizeof(where));
    CHECK(hit != NULL);
    CHECK(strcmp(where, "params.list[1]") == 0 || strcmp(where, "params (a member name)") == 0);
    CHECK(utf8_sanitize_tree(o));
    CHECK(utf8_find_invalid(o, "params", where, sizeof(where)) == NULL);
    CHECK_STR_EQ(json_object_get_string(json_object_array_get_idx(a, 1)), "x\xef\xbf\xbdy");
    struct json_object *v = NULL;
    CHECK(json_object_object_get_ex(o, "bad\xef\xbf\xbdkey", &v));
    CHECK_STR_EQ(json_object_get_string(v), "v\xef\xbf\xbd");
    CHECK(!json_object_object_get_ex(o, "bad\xfekey", NULL));
    json_object_put(o);
}

TAP_MAIN(well_formed_sequences_pass, ill_formed_sequences_fail, sanitize_replaces_each_bad_byte,
         tree_sanitised_in_place_values_and_keys)
