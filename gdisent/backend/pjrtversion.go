package backend

/*
#cgo linux LDFLAGS: -ldl
#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

// The start of PJRT_Api, which every PJRT C API version keeps in place (pjrt_c_api.h: struct_size,
// extension_start, then PJRT_Api_Version).
typedef struct {
	size_t struct_size;
	void* extension_start;
	int major_version;
	int minor_version;
} gd_pjrt_api_version;

typedef struct {
	size_t struct_size;
	void* extension_start;
	gd_pjrt_api_version version;
} gd_pjrt_api_head;

typedef const gd_pjrt_api_head* (*gd_get_pjrt_api)(void);

// gd_pjrt_version opens the library, calls GetPjrtApi and reads the version; it returns 0, or 1 with a message
// in err. The library stays open: this runs in a probe process that exits right after.
static int gd_pjrt_version(const char* path, int* major, int* minor, char* err, size_t errlen) {
	void* h = dlopen(path, RTLD_LAZY | RTLD_LOCAL);
	if (h == NULL) {
		const char* e = dlerror();
		snprintf(err, errlen, "dlopen failed: %s", e ? e : "unknown error");
		return 1;
	}
	dlerror();
	void* sym = dlsym(h, "GetPjrtApi");
	const char* e = dlerror();
	if (e != NULL || sym == NULL) {
		snprintf(err, errlen, "GetPjrtApi not found: %s", e ? e : "NULL symbol");
		return 1;
	}
	const gd_pjrt_api_head* api = ((gd_get_pjrt_api)sym)();
	if (api == NULL) {
		snprintf(err, errlen, "GetPjrtApi returned NULL");
		return 1;
	}
	if (api->struct_size < sizeof(gd_pjrt_api_head) || api->version.struct_size < sizeof(gd_pjrt_api_version)) {
		snprintf(err, errlen, "GetPjrtApi returned a table of %zu bytes (version field %zu bytes): not a PJRT_Api",
			api->struct_size, api->version.struct_size);
		return 1;
	}
	*major = api->version.major_version;
	*minor = api->version.minor_version;
	return 0;
}
*/
import "C"

import (
	"errors"
	"unsafe"
)

// pjrtAPIVersion loads the plugin with dlopen and returns the PJRT C API version its GetPjrtApi reports, without
// calling anything else in it. Only for the probe process: a broken plugin can crash here.
func pjrtAPIVersion(path string) (major, minor int, err error) {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var buf [512]C.char
	var cmaj, cmin C.int
	if C.gd_pjrt_version(cpath, &cmaj, &cmin, &buf[0], C.size_t(len(buf))) != 0 {
		return 0, 0, errors.New(C.GoString(&buf[0]))
	}
	return int(cmaj), int(cmin), nil
}
