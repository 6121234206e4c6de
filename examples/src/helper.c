/* A plain helper library shipped next to the plugins: no metadata. */
int helper_answer(void) { return 42; }
