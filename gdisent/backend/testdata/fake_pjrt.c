// A fake PJRT plugin for gdisent/backend's tests. GetPjrtApi misbehaves as $GDISENT_FAKE_PJRT_MODE says:
// "null" returns NULL, "segv" crashes, "hang" never returns, "major99" reports PJRT C API 99.83; otherwise it
// reports 0.83 with every function pointer NULL, so go-xla's first call into it crashes.
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
	size_t struct_size;
	void* extension_start;
	int major_version;
	int minor_version;
} fake_version;

typedef struct {
	size_t struct_size;
	void* extension_start;
	fake_version version;
	void* functions[256];
} fake_api;

static fake_api api;

const fake_api* GetPjrtApi(void) {
	const char* mode = getenv("GDISENT_FAKE_PJRT_MODE");
	if (mode == NULL) mode = "";
	if (strcmp(mode, "null") == 0) return NULL;
	if (strcmp(mode, "segv") == 0) *(volatile int*)0 = 1;
	if (strcmp(mode, "hang") == 0) for (;;) pause();
	api.struct_size = sizeof api;
	api.version.struct_size = sizeof api.version;
	api.version.major_version = strcmp(mode, "major99") == 0 ? 99 : 0;
	api.version.minor_version = 83;
	return &api;
}
