-- dynlib.cdef, sizeof, alignof, offsetof: C declarations parsed at run time
-- and laid out for this target's ABI (src/ctype/). One registry per Lua
-- state, shared by every spec file: names here carry a prefix of their own.
local dynlib = require("dynlib")
local H = require("helper")

local P = dynlib.sizeof("void *")
local function round(n, a) return (n + a - 1) // a * a end
-- An integer constant expression's value, as C sees it: the size of a char
-- array that long.
local function value(expr) return dynlib.sizeof("char[" .. expr .. "]") end

describe("dynlib.cdef", function()
  it("declares typedefs, pointers, const and several declarators at once", function()
    dynlib.cdef[[
      typedef unsigned long a_ulong, *a_ulong_p, a_pair[2];
      typedef a_ulong a_again;
      typedef const char *a_str;
      typedef char *const a_fixed;
    ]]
    assert.equal(dynlib.sizeof("unsigned long"), dynlib.sizeof("a_again"))
    assert.equal(P, dynlib.sizeof("a_ulong_p"))
    assert.equal(2 * dynlib.sizeof("long"), dynlib.sizeof("a_pair"))
    assert.equal(P, dynlib.sizeof("a_str"))
    assert.equal(P, dynlib.sizeof("a_fixed *"))
    assert.equal(P, dynlib.sizeof("int **"))
  end)

  it("lays out structs: nested, arrays, multi-dimensional arrays, pointers to themselves", function()
    dynlib.cdef[[
      typedef struct b_point { int x, y; } b_point_t;
      struct b_s {
        char c;
        double d;
        int a[3][4];
        struct b_inner { short h; char k; } in;
        struct b_s *next;
        b_point_t pts[2];
      };
    ]]
    assert.equal(8, dynlib.sizeof("b_point_t"))
    assert.equal(4, dynlib.offsetof("struct b_point", "y"))
    local da = dynlib.alignof("double")
    assert.equal(da, dynlib.offsetof("struct b_s", "d"))
    local a = da + 8
    assert.equal(a, dynlib.offsetof("struct b_s", "a"))
    assert.equal(a + 48, dynlib.offsetof("struct b_s", "in"))
    assert.equal(4, dynlib.sizeof("struct b_inner"))
    local nxt = round(a + 48 + 4, P)
    assert.equal(nxt, dynlib.offsetof("struct b_s", "next"))
    assert.equal(nxt + P, dynlib.offsetof("struct b_s", "pts"))
    assert.equal(round(nxt + P + 16, math.max(da, P)), dynlib.sizeof("struct b_s"))
    assert.equal(48, dynlib.sizeof("int[3][4]"))
    assert.equal(P, dynlib.sizeof("struct b_s *"))
  end)

  it("lays out unions and anonymous members, found by name through them", function()
    dynlib.cdef[[
      union c_u { char c[5]; int i; double d; };
      struct c_anon {
        int tag;
        union { int i; struct { short lo, hi; }; };
        struct { char z; } named;
      };
    ]]
    assert.equal(round(8, dynlib.alignof("double")), dynlib.sizeof("union c_u"))
    assert.equal(0, dynlib.offsetof("union c_u", "d"))
    assert.equal(4, dynlib.offsetof("struct c_anon", "i"))
    assert.equal(4, dynlib.offsetof("struct c_anon", "lo"))
    assert.equal(6, dynlib.offsetof("struct c_anon", "hi"))
    assert.equal(8, dynlib.offsetof("struct c_anon", "named"))
    assert.equal(12, dynlib.sizeof("struct c_anon"))
    assert.error_matches(function() dynlib.offsetof("struct c_anon", "z") end,
      "has no member 'z'")
  end)

  it("lays out bit-fields: offset of the unit, first bit, width", function()
    dynlib.cdef[[
      struct d_bits { unsigned a : 3, b : 5; unsigned c : 30; char after; int : 0; char last; };
    ]]
    assert.same({0, 0, 3}, {dynlib.offsetof("struct d_bits", "a")})
    assert.same({0, 3, 5}, {dynlib.offsetof("struct d_bits", "b")})
    -- c does not fit in the first int's remaining 24 bits: the next int
    assert.same({4, 0, 30}, {dynlib.offsetof("struct d_bits", "c")})
    assert.equal(8, dynlib.offsetof("struct d_bits", "after"))
    assert.equal(H.windows and 9 or 12, dynlib.offsetof("struct d_bits", "last"))
  end)

  it("honours packed and aligned on members and types", function()
    dynlib.cdef[[
      struct e_packed { char c; int i; double d; } __attribute__((packed));
      struct __attribute__((__packed__)) e_packed2 { char c; short s; };
      struct e_al { char c; int i __attribute__((aligned(16))); };
      struct e_al2 { char c; } __attribute__((aligned(8)));
      typedef int e_int8 __attribute__((aligned(8)));
      struct e_mix { char c; long long l __attribute__((aligned(4))); } __attribute__((packed));
    ]]
    assert.equal(13, dynlib.sizeof("struct e_packed"))
    assert.equal(1, dynlib.alignof("struct e_packed"))
    assert.equal(5, dynlib.offsetof("struct e_packed", "d"))
    assert.equal(3, dynlib.sizeof("struct e_packed2"))
    assert.equal(16, dynlib.offsetof("struct e_al", "i"))
    assert.equal(32, dynlib.sizeof("struct e_al"))
    assert.equal(8, dynlib.sizeof("struct e_al2"))
    assert.equal(8, dynlib.alignof("e_int8"))
    assert.equal(4, dynlib.offsetof("struct e_mix", "l"))
    assert.equal(12, dynlib.sizeof("struct e_mix"))
  end)

  it("follows #pragma pack: set, push, pop, reset", function()
    dynlib.cdef[[
#pragma pack(push, 2)
      struct pk_a { char c; int i; double d; };
#pragma pack(pop)
      struct pk_b { char c; int i; };
  #pragma pack(1)
      struct pk_c { char c; int i; };
#pragma pack()
      struct pk_d { char c; int i; };
    ]]
    assert.equal(14, dynlib.sizeof("struct pk_a"))
    assert.equal(2, dynlib.offsetof("struct pk_a", "i"))
    assert.equal(8, dynlib.sizeof("struct pk_b"))
    assert.equal(5, dynlib.sizeof("struct pk_c"))
    assert.equal(8, dynlib.sizeof("struct pk_d"))
  end)

  it("sizes flexible array members and [?] arrays by their count", function()
    dynlib.cdef("struct f_flex { int n; double items[]; };")
    local da = dynlib.alignof("double")
    assert.equal(round(4, da), dynlib.sizeof("struct f_flex"))
    assert.equal(round(4, da) + 3 * 8, dynlib.sizeof("struct f_flex", 3))
    assert.equal(20, dynlib.sizeof("int[?]", 5))
    assert.equal(0, dynlib.sizeof("char[?]", 0))
    assert.error_matches(function() dynlib.sizeof("int[?]") end, "needs a count")
    assert.error_matches(function() dynlib.sizeof("int[?]", -1) end, "count out of range")
    assert.error_matches(function() dynlib.cdef("struct f_bad { int a[]; int n; };") end,
      "flexible array member not at the end")
  end)

  it("evaluates enum constants and constant expressions", function()
    dynlib.cdef[[
      enum g_e { G_A, G_B = 5, G_C, G_D = G_B << 2 | 1, G_E = ~0 & 0xff,
                 G_F = (G_C * 3 - 1) / 2 % 7, G_G = sizeof(double) + sizeof(struct b_point),
                 G_H = (unsigned char)300, G_I = 1 ? 10 : 20, G_J = 'A', G_K = -1 >> 1 };
      enum g_neg { G_N = -5 };
      enum g_big { G_BIG = 0x100000000 };
      enum g_ubig { G_UBIG = 0xffffffffu };
      struct g_sized { char a[G_B * 2 + 1]; enum g_e e; };
    ]]
    assert.equal(5, value("G_B"))
    assert.equal(6, value("G_C"))
    assert.equal(21, value("G_D"))
    assert.equal(255, value("G_E"))
    assert.equal(1, value("G_F"))
    assert.equal(16, value("G_G"))
    assert.equal(44, value("G_H"))
    assert.equal(10, value("G_I"))
    assert.equal(65, value("G_J"))
    assert.equal(0, value("G_K + 1"))
    assert.equal(4, dynlib.sizeof("enum g_e"))
    assert.equal(4, dynlib.sizeof("enum g_neg"))
    assert.equal(8, dynlib.sizeof("enum g_big"))
    assert.equal(4, dynlib.sizeof("enum g_ubig"))
    assert.equal(16, dynlib.sizeof("struct g_sized"))
    assert.equal(12, dynlib.offsetof("struct g_sized", "e"))
    assert.error_matches(function() dynlib.cdef("enum g_div { G_Z = 1 / 0 };") end,
      "line 1, column 22: division by zero")
    assert.error_matches(function() dynlib.cdef("enum g_un { G_U = G_NOPE };") end,
      "'G_NOPE' is not a constant")
  end)

  it("declares function prototypes and function-pointer types", function()
    dynlib.cdef[[
      int h_add(int a, int b);
      void h_qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));
      typedef int (*h_cmp)(const void *, const void *);
      typedef int h_fn(int);
      struct h_ops { h_cmp cmp; int (*add)(int, int); void (*(*getter)(int))(void); };
      int h_real(int) __asm__("h_symbol");
      static inline int h_inline(int x) { return x + 1; }
      int h_vary(const char *, ...);
      int (*h_signal(int, int (*)(int)))(int);
    ]]
    assert.equal(P, dynlib.sizeof("h_cmp"))
    assert.equal(P, dynlib.sizeof("h_fn *"))
    assert.equal(P, dynlib.sizeof("int (*)(int, int)"))
    assert.equal(3 * P, dynlib.sizeof("struct h_ops"))
    assert.equal(2 * P, dynlib.offsetof("struct h_ops", "getter"))
    assert.error_matches(function() dynlib.sizeof("h_fn") end, "has no size")
    -- the same prototype again is fine, another is an error naming both
    dynlib.cdef("int h_add(int, int);")
    assert.error_matches(function() dynlib.cdef("long h_add(int, int);") end,
      "redefinition of 'h_add' as function 'long %(int, int%)' %(was function 'int %(int, int%)'%)")
  end)

  it("allows the same declaration again and names both of two different ones", function()
    dynlib.cdef("typedef long i_time; struct i_s { int a; }; enum i_e { I_A = 1 };")
    dynlib.cdef("typedef long int i_time; struct i_s { int a; }; enum i_e2 { I_A = 1 };")
    dynlib.cdef("typedef struct { int v[2]; } i_anon; typedef struct { int v[2]; } i_anon;")
    assert.error_matches(function() dynlib.cdef("typedef int i_time;") end,
      "line 1, column 13: redefinition of 'i_time' as typedef 'int' %(was typedef 'long'%)")
    assert.error_matches(function() dynlib.cdef("struct i_s { long a; };") end,
      "redefinition of 'struct i_s' with different members")
    assert.error_matches(function() dynlib.cdef("enum i_e3 { I_A = 2 };") end,
      "redefinition of 'I_A' as 2 %(was 1%)")
    assert.error_matches(function() dynlib.cdef("union i_s;") end,
      "'i_s' was declared as another kind of tag")
  end)

  it("reads an enum's head as a struct's: attributes either side of the tag, tag checks", function()
    dynlib.cdef([[
      enum __attribute__((packed)) k_small { K_A = 1 };
      enum k_short { K_B = 300 } __attribute__((packed));
      struct k_s { int a; };
      enum k_e { K_C = 1 };
    ]])
    assert.equal(1, dynlib.sizeof("enum k_small"))
    assert.equal(2, dynlib.sizeof("enum k_short"))
    assert.equal(1, dynlib.sizeof("enum { K_D = 1 } __attribute__((packed))"))
    assert.error_matches(function() dynlib.cdef("enum k_s { K_E };") end,
      "'k_s' was declared as another kind of tag")
    assert.error_matches(function() dynlib.cdef("struct k_e;") end,
      "'k_e' was declared as another kind of tag")
    assert.error_matches(function() dynlib.sizeof("enum") end,
      "^dynlib: bad type 'enum': line 1, column 5: expected a tag or '{'")
    assert.error_matches(function() dynlib.cdef("enum k_e { K_F = 0x100000000 };") end,
      "redefinition of 'enum k_e' with other values")
  end)

  it("keeps nothing of a text that fails", function()
    dynlib.cdef("struct j_later;")
    assert.error_matches(function()
      dynlib.cdef("typedef int j_kept;\nstruct j_later { int a; };\nenum { J_C = 3 };\nj_nope x;")
    end, "line 4, column 1: unknown type 'j_nope'")
    assert.error_matches(function() dynlib.sizeof("j_kept") end, "unknown type 'j_kept'")
    assert.error_matches(function() dynlib.sizeof("struct j_later") end, "has no size")
    assert.error_matches(function() value("J_C") end, "'J_C' is not a constant")
    -- and the same text, corrected, goes in whole
    dynlib.cdef("typedef int j_kept;\nstruct j_later { int a; };\nenum { J_C = 3 };")
    assert.equal(4, dynlib.sizeof("struct j_later"))
    assert.equal(3, value("J_C"))
  end)

  it("raises with the line and column of an error", function()
    local cases = {
      {"typedef int k_a;\nstruct k_x { k_undeclared_t y; };", "line 2, column 14: unknown type 'k_undeclared_t'"},
      {"struct k_y { int a }", "line 1, column 20: expected ';' before '}'"},
      {"int k_z(", "line 1, column 9: expected a parameter type"},
      {"int k_q(k_nope_t);", "line 1, column 9: unknown type 'k_nope_t'"},
      {"struct k_r { 5; };", "line 1, column 14: expected a member declaration"},
      {"int k_p;\n5;", "line 2, column 1: expected a declaration"},
      {"struct k_w { int a : 40; };", "line 1, column 18: bit%-field wider than its type"},
      {"/* open", "line 1, column 1: unterminated comment"},
      {"int k_v[-1];", "line 1, column 9: negative array size"},
      {"typedef int k_u[2](void);", "line 1, column 16: array of functions"},
      {"int k_t @;", "line 1, column 9: unexpected character"},
      {"int k_s;\n  #pragma pack(3)\n", "line 2, column 3: #pragma pack needs a power of two"},
    }
    for _, c in ipairs(cases) do
      local ok, err = pcall(dynlib.cdef, c[1])
      assert.is_false(ok, c[1])
      assert.matches("^dynlib: cdef: " .. c[2], err)
    end
  end)

  it("understands or skips the GNU extensions of system headers", function()
    dynlib.cdef[[
      __extension__ typedef long long l_ll;
      typedef int l_qi __attribute__ ((__mode__ (__QI__)));
      typedef unsigned int l_di __attribute__((__mode__(__DI__)));
      extern int l_printf (const char *__restrict __format, ...) __attribute__ ((__nonnull__ (1)));
      extern void l_exit (int __status) __attribute__ ((__nothrow__ , __leaf__)) __attribute__ ((__noreturn__));
      _Noreturn void l_abort(void);
      extern long l_strtol (const char *__restrict __nptr, char **__restrict __endptr, int __base)
        __asm__ ("" "__isoc23_strtol") __attribute__ ((__nothrow__ , __leaf__));
      extern __inline __attribute__ ((__gnu_inline__)) int l_atoi (const char *__nptr)
        { return (int) l_strtol (__nptr, (char **) ((void *)0), 10); }
      typedef __builtin_va_list l_va;
      _Static_assert(sizeof(int) == 4, "int");
      typedef __typeof__(int) l_int;
      struct l_max { long long a __attribute__((__aligned__(__alignof__(long long)))); };
      extern char *l_env[];
      extern int l_daylight;
      typedef float _Complex l_unused_never;
    ]]
    assert.equal(8, dynlib.sizeof("l_ll"))
    assert.equal(1, dynlib.sizeof("l_qi"))
    assert.equal(8, dynlib.sizeof("l_di"))
    assert.equal(4, dynlib.sizeof("l_int"))
    assert.is_true(dynlib.sizeof("l_va") > 0)
  end)

  it("knows the builtin types the compiler knows", function()
    for _, t in ipairs({"_Float64x", "_Float128", "__float128", "long double"}) do
      assert.is_true(dynlib.sizeof(t) >= 8, t)
    end
    assert.equal(8, dynlib.sizeof("int64_t"))
    assert.equal(P, dynlib.sizeof("uintptr_t"))
    assert.equal(P, dynlib.sizeof("size_t"))
    assert.equal(1, dynlib.sizeof("bool"))
    if P == 8 and not H.windows then
      assert.equal(16, dynlib.sizeof("__int128"))
      assert.equal(8, dynlib.sizeof("long"))
    end
    if H.windows then assert.equal(4, dynlib.sizeof("long")) end
  end)

  it("raises for a bad type name, saying where", function()
    assert.error_matches(function() dynlib.sizeof("struct") end,
      "^dynlib: bad type 'struct': line 1, column 7: expected a tag or '{'")
    assert.error_matches(function() dynlib.sizeof("*") end,
      "^dynlib: bad type '%*': line 1, column 1: expected a type")
    assert.error_matches(function() dynlib.sizeof("int x") end,
      "unexpected name 'x' in a type")
    assert.error_matches(function() dynlib.sizeof("void") end, "'void' has no size")
    assert.error_matches(function() dynlib.offsetof("int", "x") end, "is not a struct or union")
  end)
end)

describe("src/ctype/'s C interface", function()
  it("passes spec/c/ctype_api.c (functions, constants, spellings, interning, rollback)", function()
    local exe = H.build .. "/spec/ctype_api" .. (H.windows and ".exe" or "")
    local out, ok = H.sh(H.windows and exe or H.program(exe))
    assert.is_nil(out:match("FAIL[^\n]*"))
    assert.is_true(ok)
    assert.is_true(tonumber(out:match("ok (%d+)")) >= 50)
  end)
end)

-- Real headers: the target's preprocessor output, made with the fixtures
-- (spec/fixtures/layout.mk), declared whole; then sizes and offsets compared
-- with what the target's compiler says of the same types.
local DIR = H.fixture("layout")
describe("dynlib.cdef of real headers", function()
  for _, h in ipairs({"zlib", "stdio", "time", "netdb", "stdlib", "string", "sqlite3"}) do
    local text = H.read(DIR .. "/hdr_" .. h .. ".i") or ""
    local have = not text:find("^/%* dynlib: unavailable")
    H.it_if(have, "the target has no " .. h .. ".h")("accepts cpp -P " .. h .. ".h whole", function()
      dynlib.cdef(text)
    end)
  end

  it("lays out struct tm, z_stream, struct addrinfo, div_t as the compiler does", function()
    local exe = DIR .. "/hdrsizes" .. (H.windows and ".exe" or "")
    local out, ok = H.sh(H.windows and exe or H.program(exe))
    assert.is_true(ok)
    local n = 0
    for line in out:gmatch("[^\r\n]+") do
      local what, t, f, want = line:match("^(%a+)%(([^,)]+),? ?([%w_]*)%) (%d+)$")
      assert.is_not_nil(what, line)
      local got
      if what == "sizeof" then got = dynlib.sizeof(t)
      elseif what == "alignof" then got = dynlib.alignof(t)
      else got = dynlib.offsetof(t, f) end
      assert.equal(tonumber(want), got, line)
      n = n + 1
    end
    assert.is_true(n >= 11)
  end)
end)
