/* test_log.c - redaction helpers */
#include "t.h"

#include "log.h"

static void test_secret_headers(void)
{
	static const struct {
		const char *name;
		int secret;
	} cases[] = {
	    {"Authorization", 1}, {"authorization", 1}, {"Proxy-Authorization", 1},
	    {"Cookie", 1},        {"Set-Cookie", 1},    {"X-Registry-Token", 1},
	    {"Content-Type", 0},  {"Location", 0},      {"WWW-Authenticate", 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		T_CHECKF(log_secret_header(cases[i].name) == cases[i].secret, "%s", cases[i].name);
}

static void test_redact_url(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"https://u:p@host/x", "https://***@host/x"},
	    {"https://host/x?a=1&token=abc&b=2", "https://host/x?a=1&token=***&b=2"},
	    {"http://proxy:3128", "http://proxy:3128"},
	    {"https://h/v2/x/blobs/uploads/u?_state=s&X-Amz-Signature=zz",
	     "https://h/v2/x/blobs/uploads/u?_state=s&X-Amz-Signature=***"},
	    {"https://h/p@q", "https://h/p@q"},
	    {"", ""},
	};
	char out[256];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		log_redact_url(cases[i].in, out, sizeof out);
		T_EQ_STR(out, cases[i].out);
	}
	log_redact_url("https://host/abcdefgh", out, 8);
	T_EQ_STR(out, "https:/");
}

static void test_redact_json(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"{\"token\":\"abcdef\",\"expires_in\":300}", "{\"token\":\"***\",\"expires_in\":300}"},
	    {"{\"access_token\" : \"x\\\"y\"}", "{\"access_token\" : \"***\"}"},
	    {"{\"name\":\"token\"}", "{\"name\":\"token\"}"},
	    {"{\"auths\":{\"h\":{\"auth\":\"dTpw\"}}}", "{\"auths\":{\"h\":{\"auth\":\"***\"}}}"},
	    {"{\"token\":\"ab\"}", "{\"token\":\"**\"}"},
	    {"{\"token\":\"unterminated", "{\"token\":\"***"}, /* cut: still hidden */
	};
	char t[256];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(t, sizeof t, "%s", cases[i].in);
		log_redact_json(t);
		T_EQ_STR(t, cases[i].out);
	}
}

T_MAIN(test_secret_headers, test_redact_url, test_redact_json)
