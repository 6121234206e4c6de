#!/bin/sh
# Builds one part of the Windows sysroot of mk/windows.mk from Debian's own
# source packages (apt-get source; .ci/deps adds the deb-src entries), with
# the mingw-w64 cross compiler. Nothing is downloaded from elsewhere.
#   sh mk/windows/sysroot.sh PART SYSROOT CC
# PART: lua | ffi | lfs | busted-c. Layout of SYSROOT:
#   bin/             lua.exe, luac.exe, lua54.dll (the launcher runs bin/lua.exe;
#                    Windows' loader finds lua54.dll beside it)
#   include/, lib/   headers; liblua54.dll.a, libffi.a
#   lib/lua/5.4/     busted's C modules: lfs.dll, system/core.dll, term/core.dll
set -e
part=$1
sys=$(mkdir -p "$2" && cd "$2" && pwd)
cc=${3:-x86_64-w64-mingw32-gcc}
host=${cc%-gcc}
here=$(cd "$(dirname "$0")" && pwd)
jobs=$(nproc 2>/dev/null || echo 2)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# fetch PACKAGE [dpkg-source options]: its sources unpacked in $tmp/src.
# --download-only and dpkg-source: no build dependencies needed. The sandbox
# user is root because _apt cannot write into mktemp's folder.
fetch() {
  pkg=$1
  shift
  (cd "$tmp" && apt-get source -qq --download-only -o APT::Sandbox::User=root "$pkg")
  dpkg-source -q "$@" -x "$tmp/${pkg}"_*.dsc "$tmp/src" 2>&1 | grep -v '^gpgv:' >&2 || true
  cd "$tmp/src"
}

CMOD=$sys/lib/lua/5.4
LUA_IMP=$sys/lib/liblua54.dll.a

case $part in
lua)
  # Debian's patches except its build system (libtool, Linux paths), so
  # that upstream's "mingw" target builds lua54.dll and lua.exe.
  fetch lua5.4 --skip-patches
  for p in $(grep -v build-system debian/patches/series); do
    patch -s -p1 <"debian/patches/$p"
  done
  make -s -C src -j"$jobs" mingw CC="$cc" >/dev/null
  mkdir -p "$sys/bin" "$sys/include" "$sys/lib"
  cp src/lua.exe src/luac.exe src/lua54.dll "$sys/bin/"
  cp src/lua.h src/luaconf.h src/lualib.h src/lauxlib.h src/lua.hpp "$sys/include/"
  # The import library from the objects' export directives (LUA_API is
  # dllexport with LUA_BUILD_AS_DLL): what modules link against.
  "$host-dlltool" -D lua54.dll -l "$LUA_IMP" \
    $(ls src/*.o | grep -v -e '/lua\.o$' -e '/luac\.o$')
  ;;
ffi)
  # Static: core.dll and libdynlib.dll carry it, no libffi DLL to find at
  # run time (with gcc, ffi.h needs no FFI_STATIC_BUILD: FFI_API is empty).
  fetch libffi
  ./configure -q --host="$host" CC="$cc" --prefix="$sys" --disable-shared \
    --enable-static --disable-docs --disable-multi-os-directory >/dev/null
  make -s -j"$jobs" >/dev/null 2>&1 || make  # on failure, again to show why
  make -s install >/dev/null
  ;;
lfs)
  fetch lua-filesystem
  mkdir -p "$CMOD"
  "$cc" -shared -O2 -I"$sys/include" -o "$CMOD/lfs.dll" src/lfs.c "$LUA_IMP"
  ;;
busted-c)
  # busted's system (gettime, monotime, sleep) and term (isatty) modules:
  # small stand-ins here, not Debian's lua-system and lua-term. Their
  # sources were not all on the archive mirror this was written against
  # (apt-get source: 404), so their mingw build could not be checked; the
  # stand-ins need nothing fetched and keep colours off.
  mkdir -p "$CMOD/system" "$CMOD/term"
  for m in system term; do
    "$cc" -shared -O2 -Wall -Wextra -Werror -I"$sys/include" \
      -o "$CMOD/$m/core.dll" "$here/${m}_core.c" "$LUA_IMP"
  done
  ;;
*)
  echo "sysroot.sh: unknown part $part" >&2
  exit 2
  ;;
esac
