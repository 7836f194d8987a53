int main() { return 1; }  // placeholder: jepa_export
