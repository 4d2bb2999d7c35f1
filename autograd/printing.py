"""ag.set_printoptions: how tensors print (PyTorch's options, passed on to NumPy's printer)."""

_PROFILES = {'default': dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
             'short': dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
             'full': dict(precision=4, threshold=2 ** 63 - 1, edgeitems=3, linewidth=80)}
options = dict(_PROFILES['default'], sci_mode=None)


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    """As torch.set_printoptions: a `profile` ('default', 'short', 'full') first, then the
    options given; `sci_mode` True/False forces or forbids scientific notation."""
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"set_printoptions: profile must be one of {sorted(_PROFILES)}, "
                             f"got {profile!r}")
        options.update(_PROFILES[profile])
    given = dict(precision=precision, threshold=threshold, edgeitems=edgeitems,
                 linewidth=linewidth)
    options.update({k: v for k, v in given.items() if v is not None})
    options['sci_mode'] = sci_mode


def array2string_kwargs(values=None):
    """NumPy's array2string arguments for the current options. With the NumPy ``values`` to
    print: PyTorch writes every digit of `precision` (1.5000, 6.4000e+00) unless all finite
    values are whole numbers (1., 2.); NumPy's default trims them (1.5), so ask for 'fixed'."""
    kwargs = dict(precision=options['precision'], threshold=options['threshold'],
                  edgeitems=options['edgeitems'], max_line_width=options['linewidth'])
    if options['sci_mode'] is not None:
        kwargs['floatmode'] = 'fixed'
        kwargs['suppress_small'] = not options['sci_mode']
    elif values is not None and values.dtype.kind in 'fc' and values.size:
        import numpy as np      # display only
        finite = values[np.isfinite(values)]
        if finite.size and (finite != np.round(finite)).any():
            kwargs['floatmode'] = 'fixed'
    return kwargs
