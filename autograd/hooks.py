"""Post-accumulate-grad hooks: the side table the engine reads.

`Tensor.register_post_accumulate_grad_hook` adds to it; backward looks for hooked
leaves only while it is non-empty (engine.py). A side table rather than a slot,
so the tensors that never have such a hook (almost all) pay nothing; keyed by
id because a Tensor's == is elementwise.
"""
import weakref

post_accumulate_hooks = {}          # id(leaf) -> (weak reference to it, [hooks])


def add_post_accumulate_hook(tensor, hook):
    key = id(tensor)
    if key not in post_accumulate_hooks:      # the entry goes when the tensor does
        ref = weakref.ref(tensor, lambda _: post_accumulate_hooks.pop(key, None))
        post_accumulate_hooks[key] = (ref, [])
    hooks = post_accumulate_hooks[key][1]
    hooks.append(hook)
    return PostHookHandle(hooks, hook, key)


class PostHookHandle:
    """`remove()` drops the hook; removing a leaf's last one drops its entry, so backward's
    search for hooked leaves stops."""
    __slots__ = ('hooks', 'hook', 'key')

    def __init__(self, hooks, hook, key):
        self.hooks, self.hook, self.key = hooks, hook, key

    def remove(self):
        if self.hook in self.hooks:
            self.hooks.remove(self.hook)
        entry = post_accumulate_hooks.get(self.key)
        if not self.hooks and entry is not None and entry[1] is self.hooks:
            del post_accumulate_hooks[self.key]
