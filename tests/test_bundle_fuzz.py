"""Seeded fuzzing of load_bundle: a few hundred mutated model.json files, .npy headers and
safetensors headers. Every one either loads into a consistent bundle or is refused as one
BundleError line that names the mutated file; no other exception, no hang, nothing huge allocated."""
import json
import shutil

import numpy as np
import pytest

from latentwalk.vae.bundle import load_bundle
from latentwalk.vae.errors import BundleError
from tests.bundles import make_bundle

SEED = 20261130
HOSTILE_VALUES = [
    0, -1, 1, 3, 4, 28, 1023, 1024, 1025, 10**6, 10**9, 10**30, -(10**30), 1.5, 1e308, -0.0, True, False, None,
    "", "3", "mnist", "[" * 30, [], {}, [28], [28, 28, 28], [0, 28], [28, -4], [1e9, 1e9], [10**9, 28], [4, 4],
    [28.0, 28.0], ["28", "28"], [[28], [28]], {"a": 1}, ["a"] * 3, [1, 2], list(range(50)),
]
JSON_TOKENS = ["[", "]", "{", "}", ",", ":", '"', "\\", "-", "0", "9" * 60, "1e999", "NaN", "Infinity", "null",
               "true", "\ud800", "\x00", " "]


def mutate_meta(rng: np.random.Generator, text: str) -> bytes:
    meta = json.loads(text)
    kind = rng.integers(6)
    if kind == 0:  # one field gets a hostile value
        key = rng.choice(sorted(meta))
        meta[key] = HOSTILE_VALUES[rng.integers(len(HOSTILE_VALUES))]
        return json.dumps(meta).encode()
    if kind == 1:  # one field goes
        del meta[rng.choice(sorted(meta))]
        return json.dumps(meta).encode()
    raw = bytearray(text.encode())
    if kind == 2:  # bytes flipped
        for _ in range(rng.integers(1, 6)):
            raw[rng.integers(len(raw))] = rng.integers(256)
        return bytes(raw)
    if kind == 3:  # cut short
        return bytes(raw[:rng.integers(len(raw))])
    if kind == 4:  # JSON punctuation and odd numbers inserted
        at = rng.integers(len(raw))
        token = JSON_TOKENS[rng.integers(len(JSON_TOKENS))] * int(rng.integers(1, 4))
        return bytes(raw[:at]) + token.encode("utf-8", "surrogatepass") + bytes(raw[at:])
    nested = "[" * int(rng.integers(500, 50_000))  # deep nesting somewhere in the document
    at = rng.integers(len(raw))
    return bytes(raw[:at]) + nested.encode() + bytes(raw[at:])


NPY_SHAPES = ["(10**12, 3)", "(20, 3)", "(20,)", "()", "(-1, 3)", "(2**63, 2**63)", "(0, 3)", "(20, 3, 1)",
              "(3, 20)", "(1, 3)", "(10**7, 3)", "'x'", "(20.0, 3)", "[20, 3]"]
NPY_DESCRS = ["'<f4'", "'<f8'", "'>f4'", "'<f2'", "'|O'", "'<U5'", "'<i8'", "'|V12'", "'<V1000000000'",
              "[('a', '<f4'), ('b', '<f4'), ('c', '<f4')]", "('<f4', (3,))", "'garbage'", "3", "None"]


def mutate_npy(rng: np.random.Generator, data: bytes) -> bytes:
    header_len = int.from_bytes(data[8:10], "little")
    body = data[10 + header_len:]
    kind = rng.integers(3)
    if kind == 0:  # a well-formed header that claims something else
        descr = NPY_DESCRS[rng.integers(len(NPY_DESCRS))]
        shape = NPY_SHAPES[rng.integers(len(NPY_SHAPES))]
        fortran = ["False", "True", "1", "'x'"][rng.integers(4)]
        header = "{'descr': %s, 'fortran_order': %s, 'shape': %s, }" % (descr, fortran, shape)
        header = header.replace("10**12", str(10**12)).replace("10**7", str(10**7)).replace("2**63", str(2**63))
        header += " " * (-(len(header) + 11) % 64) + "\n"
        return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode() + body
    raw = bytearray(data)
    if kind == 1:  # bytes of the header flipped (magic, version, length, dict)
        for _ in range(rng.integers(1, 5)):
            raw[rng.integers(10 + header_len)] = rng.integers(256)
        return bytes(raw)
    return bytes(raw[:rng.integers(len(raw))])  # cut short anywhere


def mutate_safetensors(rng: np.random.Generator, data: bytes) -> bytes:
    header_len = int.from_bytes(data[:8], "little")
    raw = bytearray(data)
    if rng.integers(2):
        for _ in range(rng.integers(1, 5)):  # the header's JSON (names, shapes, offsets) damaged
            raw[rng.integers(8 + header_len)] = rng.integers(256)
        return bytes(raw)
    header = json.loads(data[8:8 + header_len])
    name = rng.choice(sorted(k for k in header if k != "__metadata__"))
    field = ["shape", "data_offsets", "dtype"][rng.integers(3)]
    header[name][field] = HOSTILE_VALUES[rng.integers(len(HOSTILE_VALUES))]
    text = json.dumps(header).encode()
    return len(text).to_bytes(8, "little") + text + data[8 + header_len:]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    return make_bundle(tmp_path_factory.mktemp("fuzz") / "pristine", count=20, classes=4, encoder=True)


@pytest.mark.timeout(120)
def test_mutated_bundles_load_cleanly_or_are_refused_in_one_line(pristine, tmp_path):
    rng = np.random.default_rng(SEED)
    bundle = tmp_path / "bundle"
    shutil.copytree(pristine, bundle)
    originals = {path.name: path.read_bytes() for path in pristine.iterdir()}
    mutators = [("model.json", lambda data: mutate_meta(rng, data.decode()), 200),
                ("latents.npy", lambda data: mutate_npy(rng, data), 100),
                ("labels.npy", lambda data: mutate_npy(rng, data), 60),
                ("decoder.safetensors", lambda data: mutate_safetensors(rng, data), 60),
                ("encoder.safetensors", lambda data: mutate_safetensors(rng, data), 30)]
    outcomes = {"loaded": 0, "refused": 0}
    for file_name, mutate, count in mutators:
        for trial in range(count):
            (bundle / file_name).write_bytes(mutate(originals[file_name]))
            try:
                loaded = load_bundle(bundle)
                loaded.load_decoder()
            except BundleError as exc:
                text = str(exc)
                assert "\n" not in text and len(text) < 500, (file_name, trial, text)
                # names the file; a mismatch between two files (labels vs latents) names both
                assert text.startswith(f"{bundle}/") and file_name in text, (file_name, trial, text)
                outcomes["refused"] += 1
            else:
                assert loaded.latents.dtype == np.float32 and loaded.latents.shape == (20, loaded.latent_dim)
                assert np.isfinite(loaded.latents).all() and loaded.labels.shape == (20,)
                outcomes["loaded"] += 1
            (bundle / file_name).write_bytes(originals[file_name])
    assert outcomes["refused"] > 300  # the mutations do hit: most of them break the file
    assert sum(outcomes.values()) == 450
