"""Search: the matching functions (class name, index, metadata and factor columns, numeric comparisons,
regular expressions, a bad one in one line), `import-points --metadata` keeping every column of a TSV
with a header (and a bad TSV refused in one line), and the Search panel in the explorer: typed into
with real key events, Enter flying the camera to the first match through the real loop."""
from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from latentwalk import cli
from latentwalk.scenes.explorer.tools.search import INDEX, bundle_columns, number_text, search
from latentwalk.vae.bundle import load_bundle
from latentwalk.vae.metadata import METADATA_FILE

CLASS_NAMES = ["cat", "dog", "bird"]
POINTS = 30


def main(*args) -> int:
    try:
        return cli.main([str(a) for a in args])
    except SystemExit as exited:
        return exited.code


def table():
    """Thirty points: a class each, two factors, and two metadata columns (one of them numeric)."""
    rng = np.random.default_rng(4)
    labels = np.arange(POINTS) % 3
    factors = rng.random((POINTS, 2)).astype(np.float32)
    words = ["apple", "Banana", "cherry", "date", "elder"]
    metadata = {"kind": [CLASS_NAMES[label] for label in labels],  # the label column again: left out
                "fruit": [words[i % 5] + str(i) for i in range(POINTS)],
                "weight": [str(10 + i) for i in range(POINTS)]}
    bundle = SimpleNamespace(class_names=CLASS_NAMES, labels=labels, meta={"factor_names": ["hue", "x"]},
                             factors=factors, metadata=metadata)
    return bundle, bundle_columns(bundle)


def brute(bundle, predicate_of_row) -> list[int]:
    return [i for i in range(POINTS) if predicate_of_row(i)]


def rows(bundle, i):
    """Every text a row is found by, as a person reads them."""
    return {"class": CLASS_NAMES[bundle.labels[i]], "hue": number_text(bundle.factors[i, 0]),
            "x": number_text(bundle.factors[i, 1]), "fruit": bundle.metadata["fruit"][i],
            "weight": bundle.metadata["weight"][i]}


def test_columns_are_the_class_the_factors_and_the_metadata_but_the_label_column_again():
    bundle, columns = table()
    assert [c.name for c in columns] == ["class", "hue", "x", "fruit", "weight"]
    assert columns[4].numbers is not None and columns[3].numbers is None  # weight is numeric, fruit is not


@pytest.mark.parametrize("query", ["do", "AN", "3", "0.", "ERRY1"])
def test_plain_text_finds_every_row_with_it_in_any_column_ignoring_case_and_the_whole_index(query):
    bundle, columns = table()
    found = search(columns, POINTS, query)
    expected = brute(bundle, lambda i: any(query.casefold() in v.casefold() for v in rows(bundle, i).values())
                     or query == str(i))
    assert found.error is None and found.matches.tolist() == expected and expected
    per_class = {}
    for i in expected:
        per_class[int(bundle.labels[i])] = per_class.get(int(bundle.labels[i]), 0) + 1
    assert dict(found.per_class) == per_class and found.count == len(expected)
    counts = [count for _, count in found.per_class]
    assert counts == sorted(counts, reverse=True)


def test_an_index_is_found_whole_and_the_list_says_which_column_matched():
    bundle, columns = table()
    found = search(columns, POINTS, "12", within=INDEX)
    assert found.matches.tolist() == [12] and found.why[12] == (INDEX, "12")
    assert search(columns, POINTS, "99", within=INDEX).count == 0  # past the last point: nothing
    found = search(columns, POINTS, "banana", within="fruit")
    assert found.matches.tolist() == brute(bundle, lambda i: "banana" in bundle.metadata["fruit"][i].lower())
    assert all(found.why[i] == ("fruit", bundle.metadata["fruit"][i]) for i in found.matches[:8].tolist())
    assert search(columns, POINTS, "cat", within="fruit").count == 0  # the class is another column


def test_a_regular_expression_is_searched_in_each_value_and_fullmatched_against_the_index():
    bundle, columns = table()
    found = search(columns, POINTS, r"^(apple|date)\d$", regex=True)
    pattern = re.compile(r"^(apple|date)\d$", re.IGNORECASE)
    assert found.matches.tolist() == brute(bundle, lambda i: bool(pattern.search(bundle.metadata["fruit"][i])))
    assert found.count == 4  # apple0, date3, apple5, date8
    found = search(columns, POINTS, r"2\d", regex=True, within=INDEX)
    assert found.matches.tolist() == list(range(20, 30))


def test_a_bad_regular_expression_is_one_line_and_finds_nothing():
    _, columns = table()
    found = search(columns, POINTS, "(unclosed", regex=True)
    assert found.count == 0 and found.error.startswith("not a regular expression:") and "\n" not in found.error
    plain = search(columns, POINTS, "(unclosed")  # in plain text the same characters are only text
    assert plain.error is None and plain.count == 0


@pytest.mark.parametrize("query, column, test", [
    ("hue<0.3", "hue", lambda v: v < 0.3), ("HUE >= 0.5", "hue", lambda v: v >= 0.5),
    ("weight>35", "weight", lambda v: v > 35), ("weight=12", "weight", lambda v: v == 12)])
def test_a_numeric_column_is_compared(query, column, test):
    bundle, columns = table()
    values = bundle.factors[:, 0] if column == "hue" else np.array([float(v) for v in bundle.metadata["weight"]])
    expected = [i for i in range(POINTS) if test(float(values[i]))]
    found = search(columns, POINTS, query)
    assert found.matches.tolist() == expected and 0 < found.count < POINTS
    assert all(found.why[i][0] == column for i in found.matches[:8].tolist())


def test_an_empty_search_finds_nothing_and_says_nothing():
    _, columns = table()
    assert search(columns, POINTS, "  ").count == 0 and search(columns, POINTS, "").error is None


# -- import-points --metadata -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def points_sources(tmp_path_factory):
    root = tmp_path_factory.mktemp("points")
    np.save(root / "emb.npy", np.random.default_rng(2).standard_normal((POINTS, 5)).astype(np.float32))
    pictures = root / "pictures"
    pictures.mkdir()
    for row in range(POINTS):
        Image.fromarray(np.full((8, 8), row * 8, np.uint8)).save(pictures / f"{row:03d}.png")
    return root


def import_points(root, metadata, out) -> int:
    return main("import-points", root / "emb.npy", "--images", root / "pictures", "--metadata", metadata,
                "--out", out, "--picture-size", 8)


def test_a_tsv_with_a_header_keeps_every_column_in_the_bundle_and_is_searchable(points_sources, tmp_path, capsys):
    labels = [CLASS_NAMES[i % 3] for i in range(POINTS)]
    captions = [f"photo number {i}" for i in range(POINTS)]
    (tmp_path / "meta.tsv").write_text("label\tcaption\tscore\n" + "".join(
        f"{labels[i]}\t{captions[i]}\t{i / 10}\n" for i in range(POINTS)))
    assert import_points(points_sources, tmp_path / "meta.tsv", tmp_path / "b") == 0
    assert "metadata columns label, caption, score" in capsys.readouterr().out
    bundle = load_bundle(tmp_path / "b")
    assert bundle.class_names == sorted(CLASS_NAMES)  # the first column still gives the classes
    assert [bundle.class_names[label] for label in bundle.labels] == labels
    assert bundle.metadata == {"label": labels, "caption": captions, "score": [str(i / 10) for i in range(POINTS)]}
    columns = bundle_columns(bundle)
    assert [c.name for c in columns] == ["class", "caption", "score"]
    assert search(columns, POINTS, "number 17").matches.tolist() == [17]
    assert search(columns, POINTS, "score>=2.5").matches.tolist() == list(range(25, POINTS))


def test_a_one_column_tsv_without_a_header_gives_the_classes_alone(points_sources, tmp_path):
    labels = [CLASS_NAMES[i % 3] for i in range(POINTS)]
    (tmp_path / "meta.tsv").write_text("".join(f"{label}\n" for label in labels))
    assert import_points(points_sources, tmp_path / "meta.tsv", tmp_path / "b") == 0
    bundle = load_bundle(tmp_path / "b")
    assert bundle.metadata is None and not (tmp_path / "b" / METADATA_FILE).exists()
    assert [bundle.class_names[label] for label in bundle.labels] == labels


@pytest.mark.parametrize("text, says", [
    ("a\tb\n" + "x\ty\n" * 29 + "x\n", "line 31: 1 fields, the header names 2 columns"),
    ("a\ta\n" + "x\ty\n" * 30, "column 'a' is named twice"),
    ("a\t\n" + "x\ty\n" * 30, "every column needs a name"),
    ("a\tb\n" + "x\ty\n" * 29, "29 rows of metadata for 30 embeddings"),
])
def test_a_bad_tsv_is_refused_in_one_line_and_writes_nothing(points_sources, tmp_path, capsys, text, says):
    (tmp_path / "meta.tsv").write_text(text)
    assert import_points(points_sources, tmp_path / "meta.tsv", tmp_path / "b") == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "meta.tsv" in err and says in err, err
    assert not (tmp_path / "b").exists()


def test_a_bundle_whose_metadata_file_was_cut_short_is_refused_in_one_line(points_sources, tmp_path):
    from latentwalk.vae.errors import BundleError

    (tmp_path / "meta.tsv").write_text("a\tb\n" + "".join(f"x{i}\ty\n" for i in range(POINTS)))
    assert import_points(points_sources, tmp_path / "meta.tsv", tmp_path / "b") == 0
    stored = tmp_path / "b" / METADATA_FILE
    stored.write_text("\n".join(stored.read_text().splitlines()[:-3]) + "\n")
    with pytest.raises(BundleError, match=r"metadata\.tsv: 27 rows of metadata for 30 embeddings") as raised:
        load_bundle(tmp_path / "b")
    assert "\n" not in str(raised.value)


# -- the Search panel in the explorer -----------------------------------------------------------------
PANEL_SIZE = (640, 480)
BACKGROUND = np.array([0.08, 0.08, 0.10]) * 255
NEEDLES = list(range(50, 300, 5))  # the points tagged "anchor": the first match is 50


@pytest.fixture(scope="module")
def tagged_bundle(tmp_path_factory):
    from tests.bundles import make_bundle

    path = make_bundle(tmp_path_factory.mktemp("search") / "tagged", count=300, classes=4)
    tags = ["anchor" if i in NEEDLES else f"hay{i}" for i in range(300)]
    (path / METADATA_FILE).write_text("tag\n" + "".join(f"{tag}\n" for tag in tags))
    return path


def open_search(gl_app, path, clock=None):
    """The explorer with the Search panel alone, pinned in the top-left corner."""
    from latentwalk.scenes.explorer.core.commands import ShowPanels
    from latentwalk.scenes.explorer.panels.search import SearchPanel
    from latentwalk.scenes.explorer.scene import ExplorerScene
    from tests.explorer_helpers import frames

    scene = ExplorerScene(path, device="cpu")
    app = gl_app(scene, size=PANEL_SIZE, **({} if clock is None else {"time_source": clock}))
    if clock is not None:
        clock.app = app
    panel = next(p for p in scene.panels if isinstance(p, SearchPanel))
    scene.panels[:] = [panel]
    panel.place = (5, 5)
    scene.submit(ShowPanels(True))
    frames(app, 3)
    return app, scene, panel


def pixel_of(scene, index) -> tuple[int, int] | None:
    """Where point `index` is drawn, if it is in view and no other point's centre lies within 8 px."""
    projection = scene.camera.project(scene.installed.positions, 1.0, scene.viewport)
    px, (width, height) = projection.pixels, scene.viewport
    x, y = px[index]
    if not (projection.visible[index] and 12 < x < width - 12 and 12 < y < height - 12):
        return None
    distances = np.hypot(px[:, 0] - x, px[:, 1] - y)
    distances[index] = np.inf
    return (int(x), int(y)) if distances.min() > 8 else None


def test_typing_highlights_the_matches_and_enter_flies_to_the_first(gl_app, tagged_bundle):
    import pygame

    from latentwalk.scenes.explorer.core.commands import HighlightPoints
    from tests.explorer_helpers import frames, key
    from tests.person import PersonClock, run_as_a_person

    clock = PersonClock()
    app, scene, panel = open_search(gl_app, tagged_bundle, clock)
    centre = np.array(scene.viewport) / 2
    first = NEEDLES[0]

    def where(index):
        return scene.camera.project(scene.installed.positions[[index]], 1.0, scene.viewport).pixels[0]

    assert np.hypot(*(where(first) - centre)) > 20  # far from the centre before the search
    script = [(0.3, lambda: key(pygame.KEYDOWN, pygame.K_f, mod=pygame.KMOD_CTRL)),
              (0.35, lambda: key(pygame.KEYUP, pygame.K_f, mod=pygame.KMOD_CTRL))]
    axes = scene.state.style.show_axes
    for step, char in enumerate("anchor"):  # A, N, C, R are keys of the view: here they go to the field
        script.append((0.6 + 0.15 * step, lambda char=char: key(pygame.KEYDOWN, ord(char), unicode=char)))
        script.append((0.65 + 0.15 * step, lambda char=char: key(pygame.KEYUP, ord(char))))
    script += [(1.8, lambda: key(pygame.KEYDOWN, pygame.K_RETURN)), (1.85, lambda: key(pygame.KEYUP, pygame.K_RETURN))]
    shown = run_as_a_person(app, clock, script, rest_until=4.0)

    assert shown["skipped"] > 30  # the loop rested, as it does for a person
    assert panel.query == "anchor" and panel.result.matches.tolist() == NEEDLES
    assert scene.state.style.show_axes == axes and len(scene.state.walk.path) == 0
    points = scene.state.highlight.points
    assert points.label == 'search "anchor"' and points.count == len(NEEDLES)
    assert np.flatnonzero(points.shown).tolist() == NEEDLES
    assert scene.camera.flight is None and np.hypot(*(where(first) - centre)) < 2.0  # the flight ended on it

    # matches as bright as with no highlight, the others dimmed toward the background
    highlighted = app.capture(include_ui=False).astype(int)
    from latentwalk.scenes.explorer.core.commands import Undo
    scene.submit(Undo())  # the search typed letter by letter is one undo step
    frames(app)
    assert scene.state.highlight.points is None
    plain = app.capture(include_ui=False).astype(int)
    matches = [p for i in NEEDLES if (p := pixel_of(scene, i))]
    others = [p for i in range(300) if i not in NEEDLES and (p := pixel_of(scene, i))]
    assert len(matches) >= 2 and len(others) >= 5
    for x, y in matches:
        assert np.abs(highlighted[y, x] - plain[y, x]).sum() <= 3
    for x, y in others:
        assert np.abs(highlighted[y, x] - BACKGROUND).sum() < np.abs(plain[y, x] - BACKGROUND).sum() - 30


def test_ctrl_f_opens_the_field_a_listed_match_is_selected_and_a_bad_regex_says_so(gl_app, tagged_bundle):
    from latentwalk.scenes.explorer.panels.search import LISTED
    from tests.explorer_helpers import click_item, frames, type_text

    import pygame

    from latentwalk.scenes.explorer.core.commands import ShowPanels
    from tests.explorer_helpers import key

    app, scene, panel = open_search(gl_app, tagged_bundle)
    scene.submit(ShowPanels(False))
    frames(app)
    key(pygame.KEYDOWN, pygame.K_f, mod=pygame.KMOD_CTRL)  # Ctrl+F shows the panels, the field takes the keys
    frames(app)
    key(pygame.KEYUP, pygame.K_f, mod=pygame.KMOD_CTRL)
    frames(app, 2)
    assert scene.state.ui.panels_visible
    type_text(app, "anchor")
    frames(app, 2)
    listed = [name for name in panel.item_rects if name.startswith("match")]
    assert listed == [f"match{i}" for i in NEEDLES[:LISTED]]
    click_item(app, panel, f"match{NEEDLES[3]}")
    assert scene.state.selection.index == NEEDLES[3] and scene.camera.flight is not None
    assert scene.state.highlight.points is not None
    click_item(app, panel, "regex")
    assert panel.regex
    click_item(app, panel, "query")
    type_text(app, "(")
    frames(app, 2)
    assert panel.query == "anchor(" and panel.result.error.startswith("not a regular expression")
    assert "\n" not in panel.result.error
    assert scene.state.highlight.points is None  # a search that finds nothing takes its highlight away
    assert not any(name.startswith("match") for name in panel.item_rects)  # no list under the error


def test_a_colour_bundles_factors_are_searchable_by_name_and_value(tmp_path):
    from tests.bundles import make_colour_bundle

    bundle = load_bundle(make_colour_bundle(tmp_path / "colour", count=60, factors=True))
    columns = bundle_columns(bundle)
    assert [c.name for c in columns] == ["class", "hue", "size"]
    hue = bundle.factors[:, 0].astype(np.float64)
    assert search(columns, 60, "hue<0.5").matches.tolist() == np.flatnonzero(hue < 0.5).tolist()
    shown = number_text(hue[7])
    assert 7 in search(columns, 60, shown, within="hue").matches.tolist()
