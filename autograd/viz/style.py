"""How the drawing looks: colours, vertex attributes, and the text of labels."""

FONT = 'Helvetica,Arial,sans-serif'
FILL = {'param': '#cfe2f3', 'input': '#fff2cc', 'root': '#d9ead3', 'tensor': '#ffffff',
        'op': '#eeeeee', 'box': '#dde4ee', 'vanishing': '#b4a7d6', 'exploding': '#ea9999',
        'dead': '#666666'}
CLUSTER_FILLS = ('#f7f9fc', '#edf1f7', '#e3e9f2')
# ColorBrewer OrRd, light to dark: the profile's colour scale
SCALE = ('#fff7ec', '#fee8c8', '#fdd49e', '#fdbb84', '#fc8d59', '#ef6548', '#d7301f',
         '#b30000', '#7f0000')

OP_ATTRS = {'shape': 'ellipse', 'style': 'filled', 'fillcolor': FILL['op']}
BACKWARD_ATTRS = {'shape': 'box', 'style': 'filled', 'fillcolor': FILL['op']}
TENSOR_ATTRS = {kind: {'shape': 'box', 'style': 'rounded,filled', 'fillcolor': FILL[kind]}
                for kind in ('param', 'input', 'root', 'tensor')}


def quote(text):
    """A DOT double-quoted string (newlines become centred line breaks)."""
    return '"' + str(text).replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n') + '"'


def attrs_text(attrs):
    return ', '.join(f'{k}={quote(v)}' for k, v in attrs.items() if v is not None)


_shape_texts = {}       # (shape, dtype, device) -> text: str(dtype) alone costs ~2 us


def shape_text(shape, dtype, device):
    key = (shape, dtype, device)
    text = _shape_texts.get(key)
    if text is None:
        text = f"{tuple(shape)} {dtype}"
        if device != 'cpu':
            text = f"{text} {device}"
        if len(_shape_texts) < 4096:
            _shape_texts[key] = text
    return text


def number(value):
    return f"{value:.3g}" if value == value else 'nan'


def seconds(s):
    us = s * 1e6
    return f"{us:.3g} us" if us < 1000 else f"{us / 1000:.3g} ms"


def size(n):
    for unit in ('B', 'KiB', 'MiB', 'GiB'):
        if n < 1024 or unit == 'GiB':
            return f"{n:.0f} {unit}" if unit == 'B' else f"{n:.3g} {unit}"
        n /= 1024


def op_name(node):
    return getattr(type(node), 'label', None) or node.name
