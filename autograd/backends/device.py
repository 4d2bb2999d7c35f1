"""`ag.device`: PyTorch's `torch.device`, as a string.

A device is the string tensors report ('cpu', 'cuda:0') with `.type` and
`.index` on top. Being a `str`, it works everywhere a device string does
(`.to(device)`, `device=` of factories, `model.to(device)`, dict keys,
comparisons with 'cpu') at no cost: backends name themselves with one, and
`Tensor.device` returns it.
"""
import re

_SPEC = re.compile(r'([a-z_]+)(?::(\d+))?')
_TYPES = ('cpu', 'cuda')        # what this project runs on; more via backends.register


class device(str):
    """device('cuda'), device('cuda:1'), device('cuda', 1), device(0) (= 'cuda:0')."""
    __slots__ = ()

    def __new__(cls, type, index=None):
        if isinstance(type, int) and not isinstance(type, bool):
            type, index = 'cuda', type
        if isinstance(type, device) and index is None:
            return type
        if not isinstance(type, str):
            raise TypeError(f"device: expected a device string such as 'cpu' or 'cuda:0' (or a "
                            f"device index), got {type!r}")
        spec = _SPEC.fullmatch(type)
        if spec is None:
            raise RuntimeError(f"device: invalid device string {type!r}: expected 'cpu', "
                               "'cuda' or 'cuda:N' with N a device index (0, 1, ...)")
        kind = spec.group(1)
        from . import _registry         # known kinds: cpu, cuda, and any registered backend's
        if kind not in _TYPES and not any(name.split(':')[0] == kind for name in _registry):
            raise RuntimeError(f"device: unknown device type {kind!r} in {type!r}: expected one "
                               f"of {', '.join(_TYPES)}")
        if index is not None:
            if spec.group(2) is not None:
                raise RuntimeError(f"device: {type!r} already includes an index, and index="
                                   f"{index!r} was passed too; give only one")
            if isinstance(index, bool) or not isinstance(index, int) or index < 0:
                raise RuntimeError(f"device: index must be an int >= 0, got {index!r}")
            type = f'{kind}:{index}'
        return str.__new__(cls, type)

    @classmethod
    def of_backend(cls, name):
        """A backend's own name, taken as it is (test backends have names like 'fake:1')."""
        return str.__new__(cls, name)

    @property
    def type(self):
        return self.partition(':')[0]

    @property
    def index(self):
        index = self.partition(':')[2]
        return int(index) if index.isdigit() else None

    def __repr__(self):
        index = self.index
        return f"device(type='{self.type}')" if index is None else \
            f"device(type='{self.type}', index={index})"

    def __reduce__(self):
        return device, (str(self),)

    # `with ag.device('cuda'):` makes it the default device of factories inside the block
    def __enter__(self):
        from . import default_device, set_default_device
        _outer.append(default_device())
        set_default_device(self)
        return self

    def __exit__(self, *exc):
        from . import set_default_device
        set_default_device(_outer.pop())


_outer = []         # the default devices that enclosing `with device(...)` blocks replaced
