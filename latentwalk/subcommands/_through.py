"""`--through` of `walk` and `record`: the walk's control points, each a data-set index or `class:N`.

A number is a row of the training set (0-based), not a digit: `1,6,2` are the 2nd, 7th and 3rd
training images, whatever their classes. `class:N` is a typical point of class N (its number, or its
name as the model lists it): the training point of that class nearest the class's median latent
(coordinate by coordinate, in the model's full latent space; ties go to the lower index). The median,
not the mean, so a few far-flung points do not pull it, and a real point, not the median itself, so the
walk passes through an image of the data set. The same model gives the same point every time.
"""
from __future__ import annotations

import numpy as np

from latentwalk.scenes.errors import UsageError

CLASS_PREFIX = "class:"
MAX_INDEX_DIGITS = 18
THROUGH_HELP = ("control points, comma-separated: data-set indices (rows of the training set, from 0; "
                "1,6,2 are the 2nd, 7th and 3rd training images, not the digits 1, 6, 2), or class:N for a "
                "typical point of class N (its number or name): the training point of that class nearest "
                "the class's median latent, e.g. class:1,class:6,class:2")


def parse_through(text: str) -> list[int | str]:
    """The tokens of `--through`: ints (indices) and class names or numbers (the text after class:),
    checked for form only; UsageError naming the bad token."""
    tokens: list[int | str] = []
    for token in text.split(","):
        token = token.strip()
        if token.lower().startswith(CLASS_PREFIX):
            name = token[len(CLASS_PREFIX):].strip()
            if not name:
                raise UsageError(f"--through: {token!r} names no class (expected class:N, e.g. class:3)")
            tokens.append(name)
            continue
        digits = token[1:] if token.startswith("-") else token
        if not (token.isascii() and digits.isdigit()):
            raise UsageError(f"--through: {token[:40]!r} is not a data-set index (expected I,J,K,... "
                             "with whole numbers >= 0, or class:N)")
        if token.startswith("-"):
            raise UsageError(f"--through: {token[:40]!r} is not a data-set index (indices count from 0; "
                             "negative ones are not allowed)")
        if len(digits) > MAX_INDEX_DIGITS:
            raise UsageError(f"--through: index {token[:20]}... ({len(digits)} digits) is out of range")
        tokens.append(int(token))
    return tokens


def resolve_through(tokens: list[int | str], bundle) -> list[int]:
    """Data-set indices of the tokens on this bundle; UsageError for an index past its end or a class
    it does not have."""
    count = len(bundle.latents)
    indices = []
    for token in tokens:
        if isinstance(token, str):
            indices.append(typical_point(bundle.latents, bundle.labels, class_index(token, bundle.class_names)))
        elif token >= count:
            raise UsageError(f"--through: index {token} is out of range: {bundle.path} has {count} points "
                             f"(0..{count - 1})")
        else:
            indices.append(token)
    return indices


def class_index(name: str, class_names: list[str]) -> int:
    """The class a `class:` token names: a class name (exact, else ignoring case), else its number."""
    if name in class_names:
        return class_names.index(name)
    lowered = [known.lower() for known in class_names]
    if name.lower() in lowered:
        return lowered.index(name.lower())
    if name.isascii() and name.isdigit() and int(name) < len(class_names):
        return int(name)
    listed = ", ".join(class_names[:12]) + (", ..." if len(class_names) > 12 else "")
    raise UsageError(f"--through: class:{name} is not a class of this model (its classes: {listed}; "
                     f"or a number 0..{len(class_names) - 1})")


def typical_point(latents: np.ndarray, labels: np.ndarray, klass: int) -> int:
    """The index of the training point of class `klass` nearest the class's median latent."""
    members = np.flatnonzero(np.asarray(labels) == klass)
    if members.size == 0:
        raise UsageError(f"--through: class:{klass} has no training points in this model")
    points = np.asarray(latents[members], np.float64)
    distances = ((points - np.median(points, axis=0)) ** 2).sum(axis=1)
    return int(members[int(np.argmin(distances))])  # argmin: the first of equals, members are ascending
