# The target of the fuzzer's base snapshot (tests/fuzz/run.sh): a small
# CPython 3.10 heap (started with -S -s in an empty environment) in which
# ROOTS holds one object of each kind the decoders know; it then sleeps
# until killed.  The first argument is a file to create once ROOTS is
# built.
import sys
import time
import _collections
import _weakref


class Plain:
    def __init__(self):
        self.a = 1
        self.b = "x"

    def meth(self):
        return self.a

    @classmethod
    def cm(cls):
        return cls

    @staticmethod
    def sm():
        return 0

    prop = property(meth, None, None, "doc")


class Slotted:
    __slots__ = ("s", "t", "__weakref__")


class Meta(type):
    pass


class WithMeta(metaclass=Meta):
    pass


class Sub(int):
    pass


def outer(x, y=2, *, z=3) -> int:
    c = [x]

    def inner():
        return c
    return inner


def gen():
    yield 1


async def coro():
    return 1


async def agen():
    yield 1


try:
    1 / 0
except ZeroDivisionError as e:
    EXC = e

slotted = Slotted()
slotted.s = (1, 2)
g = gen()
next(g)
co = coro()
ag = agen()
d = {"k": 1, 2: "v", (3,): None}
ROOTS = [
    Plain(), slotted, Plain, WithMeta, Meta, Sub(7),
    2 ** 100, -(2 ** 40), True, 1.5, 2 + 3j,
    "ascii", "latin-\xe9", "bmp-\u20ac", "astral-\U0001f600",
    b"by\x00tes", bytearray(b"ba"), (1, "t"), [1, [2]], d,
    {1, "s"}, frozenset({2}), sys, outer(1), outer.__code__, g, co, ag,
    sys._getframe(), Plain().meth, len, [].append,
    Plain.__dict__["prop"], Plain.__dict__["cm"], Plain.__dict__["sm"],
    Slotted.__dict__["s"], list.__dict__["append"],
    type.__dict__["__name__"], object.__dict__["__init__"],
    dict.__dict__["fromkeys"], EXC, EXC.__traceback__,
    _weakref.ref(slotted), _weakref.proxy(slotted),
    _weakref.proxy(outer), slice(1, 9, 2), range(3, 30, 3),
    type.__dict__["__dict__"], Plain.__dict__,
    _collections.OrderedDict(a=1), _collections.deque([1, 2], 8),
    _collections.defaultdict(list, k=[1]), None, NotImplemented, Ellipsis,
]
try:
    import _queue   # a builtin method with a defining class (PyCMethod)
    ROOTS.append(_queue.SimpleQueue().get)
except ImportError:
    pass
ROOTS.append(ROOTS)
if len(sys.argv) > 1:
    open(sys.argv[1], "w").close()
time.sleep(600)
