// A shared library that is not a PJRT plugin (no GetPjrtApi), for gdisent/backend's tests.
int gdisent_not_a_plugin(int x) { return x + 1; }
