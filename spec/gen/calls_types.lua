-- The C types the differential call spec covers, with what a test needs to
-- know of each independently of dynlib's parser: kind (i signed, u unsigned,
-- n an integer whose signedness the target chooses, b bool, f float,
-- d double, s string, p pointer, v void) and width in bits. Where the
-- target's ABI chooses the width (abi = true: long is 32 bits on i686) or the
-- signedness (char: unsigned on AArch64), the entry leaves it out and the
-- spec takes it from the generated fixture, compiled by the target's C
-- compiler (type_bits, type_signed), never from the host or from dynlib.
return {
  {c = "int8_t", k = "i", bits = 8}, {c = "uint8_t", k = "u", bits = 8},
  {c = "int16_t", k = "i", bits = 16}, {c = "uint16_t", k = "u", bits = 16},
  {c = "int32_t", k = "i", bits = 32}, {c = "uint32_t", k = "u", bits = 32},
  {c = "int64_t", k = "i", bits = 64}, {c = "uint64_t", k = "u", bits = 64},
  {c = "char", k = "n", abi = true}, {c = "signed char", k = "i", bits = 8},
  {c = "unsigned char", k = "u", bits = 8}, {c = "short", k = "i", abi = true},
  {c = "unsigned short", k = "u", abi = true}, {c = "short int", k = "i", abi = true},
  {c = "int", k = "i", abi = true}, {c = "unsigned int", k = "u", abi = true},
  {c = "unsigned", k = "u", abi = true}, {c = "signed", k = "i", abi = true},
  {c = "long", k = "i", abi = true}, {c = "unsigned long", k = "u", abi = true},
  {c = "long unsigned int", k = "u", abi = true}, {c = "long long", k = "i", abi = true},
  {c = "unsigned long long", k = "u", abi = true}, {c = "size_t", k = "u", abi = true},
  {c = "ssize_t", k = "i", abi = true}, {c = "intptr_t", k = "i", abi = true},
  {c = "uintptr_t", k = "u", abi = true}, {c = "ptrdiff_t", k = "i", abi = true},
  {c = "bool", k = "b", bits = 8}, {c = "float", k = "f", bits = 32},
  {c = "double", k = "d", bits = 64}, {c = "const char *", k = "s"},
  {c = "void *", k = "p"}, {c = "const struct thing *", k = "p"},
}
