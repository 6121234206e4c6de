-- luacheck settings (make lint runs `luacheck --std lua54 ...`).
std = "lua54"
max_line_length = 130
exclude_files = {"build*/**"}
