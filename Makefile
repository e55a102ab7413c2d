# leakscope — build, test, bench, install.
#
# Layout (each directory's files are picked up by wildcard, so adding a file needs no edit here):
#   shim/*.c             -> build/libleakscope.so   (hooks.c + the engine; engine also in build/engine.a)
#   analyzer/*/*.c       -> build/leakscope         (all but cli/main.c also in build/analyzer.a), a pipeline:
#       load/  snapshot files, series, symbols -> model/ stats, classification, policy, rules,
#       baseline -> out/ text, JSON, HTML, JUnit -> cli/ one thin file per command, main.c
#       (analyzer/util.[ch]: allocation, errors, atomic output, shared by all four)
#   targets/sim/*.c      -> build/sim               (all but main.c also in build/simlib.a)
#   tests/programs/*.c|cc-> build/tests/<name>      (small programs run under the shim)
#   tests/unit/test_engine_*.c, test_analyzer_*.c, test_sim_*.c -> Check suites linked with the above
#   tests/integration/*.sh                          (run by tests/run-all.sh)

CC      ?= cc
CXX     ?= c++
PREFIX  ?= /usr/local
BUILD   := build

WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wundef
ifeq ($(CI),true)
WARN    += -Werror
endif
CFLAGS  ?= -O2 -g
BASECFLAGS := -std=gnu11 $(WARN) -Iinclude -D_GNU_SOURCE -MMD -MP
SHIM_CFLAGS := $(BASECFLAGS) -fPIC -fno-plt -fvisibility=hidden -ftls-model=initial-exec \
               -fno-strict-aliasing -fno-builtin-malloc -fno-builtin-free -fno-builtin-calloc -fno-builtin-realloc
PKG_CFLAGS = $(shell pkg-config --cflags libunwind libdw yaml-0.1 jansson check 2>/dev/null)
SHIM_LIBS := -lunwind -ldl -lpthread -lm
ANALYZER_LIBS := -ldw -lelf -lyaml -ljansson -lz -lstdc++ -lm
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lm -lrt -lpthread)

SHIM_SRC     := $(wildcard shim/*.c)
ENGINE_SRC   := $(filter-out shim/hooks.c,$(SHIM_SRC))
ANALYZER_DIRS:= analyzer analyzer/load analyzer/model analyzer/out analyzer/cli
ANALYZER_SRC := $(foreach d,$(ANALYZER_DIRS),$(wildcard $(d)/*.c))
ANALIB_SRC   := $(filter-out analyzer/cli/main.c,$(ANALYZER_SRC))
ANALYZER_INC := $(addprefix -I,$(ANALYZER_DIRS))
SIM_SRC      := $(wildcard targets/sim/*.c)
SIMLIB_SRC   := $(filter-out targets/sim/main.c,$(SIM_SRC))
PROG_C       := $(wildcard tests/programs/*.c)
PROG_CC      := $(wildcard tests/programs/*.cc)
UNIT_ENGINE  := $(wildcard tests/unit/test_engine_*.c)
UNIT_ANALYZER:= $(wildcard tests/unit/test_analyzer_*.c)
UNIT_SIM     := $(wildcard tests/unit/test_sim_*.c)
UNIT_RTRIP   := $(wildcard tests/unit/test_roundtrip_*.c)
FUZZ_HARNESS := $(wildcard tests/fuzz/fuzz_*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

LIB      := $(BUILD)/libleakscope.so
CLI      := $(BUILD)/leakscope
SIM      := $(BUILD)/sim
ENGINE_A := $(BUILD)/engine.a
ANALIB_A := $(BUILD)/analyzer.a
SIMLIB_A := $(BUILD)/simlib.a
PROGS    := $(patsubst tests/programs/%.c,$(BUILD)/tests/%,$(PROG_C)) \
            $(patsubst tests/programs/%.cc,$(BUILD)/tests/%,$(PROG_CC))
UNITS    := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_ENGINE) $(UNIT_ANALYZER) $(UNIT_SIM) $(UNIT_RTRIP)) \
            $(patsubst tests/fuzz/fuzz_%.c,$(BUILD)/tests/unit/replay_%,$(FUZZ_HARNESS))
DEPS_OK  := $(BUILD)/.deps-ok

.PHONY: all deps test-deps check check-unit check-integration check-sanitize demo bench fuzz install clean
all: $(LIB) $(CLI) $(SIM)

# Missing Debian packages are installed once, by one script (as root; a clear message otherwise).
$(DEPS_OK): scripts/install-deps.sh
	@scripts/install-deps.sh
	@mkdir -p $(BUILD) && touch $@
deps: $(DEPS_OK)
test-deps: $(DEPS_OK)
	@scripts/install-deps.sh --test

# The hooks keep frame pointers: LS_CALLER reads the caller's return address and stack
# pointer from the hook's frame. The engine does without (2 instructions per call less).
$(BUILD)/obj/shim/hooks.o: SHIM_CFLAGS += -fno-omit-frame-pointer
$(BUILD)/obj/shim/%.o: shim/%.c $(DEPS_OK)
	@mkdir -p $(@D)
	$(CC) $(SHIM_CFLAGS) $(CFLAGS) -c $< -o $@
$(BUILD)/obj/analyzer/%.o: analyzer/%.c $(DEPS_OK)
	@mkdir -p $(@D)
	$(CC) $(BASECFLAGS) $(PKG_CFLAGS) $(ANALYZER_INC) $(CFLAGS) -c $< -o $@
$(BUILD)/obj/%.o: %.c $(DEPS_OK)
	@mkdir -p $(@D)
	$(CC) $(BASECFLAGS) $(PKG_CFLAGS) $(CFLAGS) -c $< -o $@

$(LIB): $(call obj,$(SHIM_SRC))
	$(CC) -shared $(LDFLAGS) -o $@ $^ $(SHIM_LIBS) -Wl,-z,nodelete -Wl,--version-script=shim/exports.map
$(ENGINE_A): $(call obj,$(ENGINE_SRC))
	@rm -f $@; ar rcs $@ $^
$(CLI): $(call obj,analyzer/cli/main.c) $(ANALIB_A)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(ANALYZER_LIBS)
$(ANALIB_A): $(call obj,$(ANALIB_SRC))
	@rm -f $@; ar rcs $@ $^
$(SIM): $(call obj,targets/sim/main.c) $(SIMLIB_A)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ -lm
$(SIMLIB_A): $(call obj,$(SIMLIB_SRC))
	@rm -f $@; ar rcs $@ $^

# Test programs: built without optimisation-driven inlining of their call sites, with
# debug info so their sites resolve to exact lines.
$(BUILD)/tests/%: tests/programs/%.c include/leakscope.h $(wildcard tests/programs/*.h) $(DEPS_OK)
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O1 -g -fno-inline -fno-omit-frame-pointer -Iinclude -D_GNU_SOURCE -o $@ $< -lpthread -ldl -lm
$(BUILD)/tests/%: tests/programs/%.cc include/leakscope.h $(DEPS_OK)
	@mkdir -p $(@D)
	$(CXX) -O1 -g -fno-inline -Iinclude -o $@ $< -lpthread

$(BUILD)/tests/unit/test_engine_%: tests/unit/test_engine_%.c $(ENGINE_A)
	@mkdir -p $(@D)
	$(CC) $(BASECFLAGS) $(PKG_CFLAGS) -Ishim $(CFLAGS) -o $@ $^ $(SHIM_LIBS) $(CHECK_LIBS)
$(BUILD)/tests/unit/test_analyzer_%: tests/unit/test_analyzer_%.c $(ANALIB_A)
	@mkdir -p $(@D)
	$(CC) $(BASECFLAGS) $(PKG_CFLAGS) $(ANALYZER_INC) $(CFLAGS) -o $@ $^ $(ANALYZER_LIBS) $(CHECK_LIBS)
# Engine writer -> analyzer reader round trips link both halves.
$(BUILD)/tests/unit/test_roundtrip_%: tests/unit/test_roundtrip_%.c $(ENGINE_A) $(ANALIB_A)
	@mkdir -p $(@D)
	$(CC) $(BASECFLAGS) $(PKG_CFLAGS) -Ishim $(ANALYZER_INC) $(CFLAGS) -o $@ $^ $(SHIM_LIBS) $(ANALYZER_LIBS) $(CHECK_LIBS)
# Fuzz harnesses replayed over their seed corpus and regression inputs (tests/fuzz/).
$(BUILD)/tests/unit/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(ANALIB_A)
	@mkdir -p $(@D)
	$(CC) $(BASECFLAGS) $(PKG_CFLAGS) $(ANALYZER_INC) $(CFLAGS) -o $@ $^ $(ANALYZER_LIBS)
$(BUILD)/tests/unit/test_sim_%: tests/unit/test_sim_%.c $(SIMLIB_A)
	@mkdir -p $(@D)
	$(CC) $(BASECFLAGS) $(PKG_CFLAGS) -Itargets/sim $(CFLAGS) -o $@ $^ -lm $(CHECK_LIBS)

# `make check`: everything, with one closing line. The analyzer and the engine's unit
# suites are also built under ASan+UBSan (build/san-asan) and the concurrent engine suites
# under TSan (build/san-tsan); tests/run-all.sh runs them as tiers of their own.
SAN_ASAN := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
SAN_TSAN := -O1 -g -fsanitize=thread

check: all $(PROGS) $(UNITS) test-deps sanitize-build
	@tests/run-all.sh

check-unit: $(UNITS)
	@tests/run-all.sh unit
check-integration: all $(PROGS)
	@tests/run-all.sh integration
check-sanitize: sanitize-build
	@tests/run-all.sh sanitize

.PHONY: sanitize-build san-units san-units-engine
sanitize-build: $(DEPS_OK)
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/san-asan CFLAGS="$(SAN_ASAN)" san-units >/dev/null
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/san-tsan CFLAGS="$(SAN_TSAN)" san-units-engine >/dev/null
san-units: $(UNITS) $(CLI)
san-units-engine: $(filter $(BUILD)/tests/unit/test_engine_%,$(UNITS))

demo: all
	@scripts/install-deps.sh --demo
	@scripts/demo.sh

# heaptrack, python3 and GNU time are installed when possible; without them the bench says
# "not installed" in their rows. A bar missed is printed, never a failure.
bench: all
	@scripts/install-deps.sh --bench || echo "leakscope: make bench goes on without them" >&2
	@bench/run.sh

fuzz: test-deps
	@scripts/fuzz.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/include \
	    $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man3
	install -m 0755 $(LIB) $(DESTDIR)$(PREFIX)/lib/libleakscope.so
	install -m 0755 $(CLI) $(DESTDIR)$(PREFIX)/bin/leakscope
	install -m 0644 include/leakscope.h $(DESTDIR)$(PREFIX)/include/leakscope.h
	sed -e 's|@PREFIX@|$(PREFIX)|g' docs/leakscope.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/leakscope.pc
	install -m 0644 docs/man/leakscope.1 $(DESTDIR)$(PREFIX)/share/man/man1/leakscope.1
	install -m 0644 docs/man/leakscope.3 $(DESTDIR)$(PREFIX)/share/man/man3/leakscope.3

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/obj $(BUILD)/tests -name '*.d' 2>/dev/null)
