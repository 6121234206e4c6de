-- The C types the differential call spec covers, with what a test needs to
-- know of each independently of dynlib's parser: kind (i signed, u unsigned,
-- b bool, f float, d double, s string, p pointer, v void) and width in bits.
return {
  {c = "int8_t", k = "i", bits = 8}, {c = "uint8_t", k = "u", bits = 8},
  {c = "int16_t", k = "i", bits = 16}, {c = "uint16_t", k = "u", bits = 16},
  {c = "int32_t", k = "i", bits = 32}, {c = "uint32_t", k = "u", bits = 32},
  {c = "int64_t", k = "i", bits = 64}, {c = "uint64_t", k = "u", bits = 64},
  {c = "char", k = "i", bits = 8}, {c = "signed char", k = "i", bits = 8},
  {c = "unsigned char", k = "u", bits = 8}, {c = "short", k = "i", bits = 16},
  {c = "unsigned short", k = "u", bits = 16}, {c = "short int", k = "i", bits = 16},
  {c = "int", k = "i", bits = 32}, {c = "unsigned int", k = "u", bits = 32},
  {c = "unsigned", k = "u", bits = 32}, {c = "signed", k = "i", bits = 32},
  {c = "long", k = "i", bits = 64}, {c = "unsigned long", k = "u", bits = 64},
  {c = "long unsigned int", k = "u", bits = 64}, {c = "long long", k = "i", bits = 64},
  {c = "unsigned long long", k = "u", bits = 64}, {c = "size_t", k = "u", bits = 64},
  {c = "ssize_t", k = "i", bits = 64}, {c = "intptr_t", k = "i", bits = 64},
  {c = "uintptr_t", k = "u", bits = 64}, {c = "ptrdiff_t", k = "i", bits = 64},
  {c = "bool", k = "b", bits = 8}, {c = "float", k = "f", bits = 32},
  {c = "double", k = "d", bits = 64}, {c = "const char *", k = "s", bits = 64},
  {c = "void *", k = "p", bits = 64}, {c = "const struct thing *", k = "p", bits = 64},
}
