"""GL helpers against a real context under Xvfb: pixels read back and checked."""
import numpy as np
import pytest
from OpenGL import GL as gl

from latentwalk.engine.capture import FrameReader
from latentwalk.engine.errors import EngineError, ShaderError
from latentwalk.engine.gl import Buffer, Framebuffer, Program, Texture2D, VertexArray
from latentwalk.engine.gl.program import format_compile_log

W, H = 320, 240
RED, GREEN, BLUE = (1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)


def quad(x0, y0, x1, y1, z, colour):
    """Two triangles of (x, y, z, r, g, b) in normalised device coordinates."""
    corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y0), (x1, y1), (x0, y1)]
    return np.array([[x, y, z, *colour] for x, y in corners], np.float32)


def colour_vao(vertices):
    vao = VertexArray()
    buffer = Buffer(vertices)
    vao.attribute(0, buffer, 3, stride=24, offset=0, own=True)
    vao.attribute(1, buffer, 3, stride=24, offset=12, own=True)
    return vao


def pixel(image, x, y):
    return tuple(int(v) for v in image[y, x])


def clear_window(colour=(0.0, 0.0, 0.0)):
    gl.glViewport(0, 0, W, H)
    gl.glClearColor(*colour, 1.0)
    gl.glClear(gl.GL_COLOR_BUFFER_BIT | gl.GL_DEPTH_BUFFER_BIT)


def test_known_scene_colours_positions_and_depth_order(gl_context):
    # Green is nearer (NDC z -0.5) but drawn first; red is farther and drawn second over the overlap.
    # Both cover only the top half, so the bottom half must stay the clear colour (checks top-down rows).
    green = quad(-0.2, 0.0, 0.8, 0.8, -0.5, GREEN)
    red = quad(-0.8, 0.0, 0.2, 0.8, 0.5, RED)
    with Program.from_files("demo_colored.vert", "demo_colored.frag") as program, \
            colour_vao(np.concatenate([green, red])) as vao:
        clear_window((0.0, 0.0, 1.0))
        gl.glEnable(gl.GL_DEPTH_TEST)
        program.use()
        program["mvp"] = np.eye(4, dtype=np.float32)
        program["brightness"] = 1.0
        vao.draw(gl.GL_TRIANGLES, 12)
        gl.glDisable(gl.GL_DEPTH_TEST)
        image = FrameReader().read_back_buffer((W, H))
    assert image.shape == (H, W, 3)
    top_row = int(H * 0.25)  # NDC y = 0.5
    assert pixel(image, int(W * 0.15), top_row) == (255, 0, 0)   # x = -0.7: red only
    assert pixel(image, int(W * 0.85), top_row) == (0, 255, 0)   # x = +0.7: green only
    assert pixel(image, int(W * 0.5), top_row) == (0, 255, 0)    # overlap: the nearer green wins
    assert pixel(image, int(W * 0.5), int(H * 0.75)) == (0, 0, 255)  # bottom half: clear colour
    assert pixel(image, 2, 2) == (0, 0, 255)


def test_same_scene_without_depth_test_draws_in_submission_order(gl_context):
    green = quad(-0.2, 0.0, 0.8, 0.8, -0.5, GREEN)
    red = quad(-0.8, 0.0, 0.2, 0.8, 0.5, RED)
    with Program.from_files("demo_colored.vert", "demo_colored.frag") as program, \
            colour_vao(np.concatenate([green, red])) as vao:
        clear_window()
        program.use()
        program["mvp"] = np.eye(4, dtype=np.float32)
        vao.draw(gl.GL_TRIANGLES, 12)
        image = FrameReader().read_back_buffer((W, H))
    assert pixel(image, W // 2, H // 4) == (255, 0, 0)


def test_uniform_matrix_is_applied_in_maths_order(gl_context):
    # Translate a small quad at the origin to NDC (+0.5, -0.5): the lower-right quadrant.
    translate = np.eye(4, dtype=np.float32)
    translate[:3, 3] = (0.5, -0.5, 0.0)
    with Program.from_files("demo_colored.vert", "demo_colored.frag") as program, \
            colour_vao(quad(-0.1, -0.1, 0.1, 0.1, 0.0, GREEN)) as vao:
        clear_window()
        program.use()
        program["mvp"] = translate
        program["brightness"] = 0.5
        program["no_such_uniform"] = 1.0  # optimised-away or missing uniforms are a no-op
        vao.draw(gl.GL_TRIANGLES, 6)
        image = FrameReader().read_back_buffer((W, H))
    assert pixel(image, int(W * 0.75), int(H * 0.75)) == (0, 128, 0)
    assert pixel(image, W // 2, H // 2) == (0, 0, 0)
    assert program.has_uniform("mvp") and not program.has_uniform("no_such_uniform")


def test_broken_shader_names_file_and_line(gl_context, tmp_path):
    vert = tmp_path / "ok.vert"
    vert.write_text("#version 330 core\nvoid main() { gl_Position = vec4(0.0); }\n")
    frag = tmp_path / "broken.frag"
    frag.write_text("#version 330 core\nout vec4 colour;\n\nvoid main() {\n    colour = vec4(undefined_name);\n}\n")
    with pytest.raises(ShaderError) as caught:
        Program.from_files(vert, frag)
    message = str(caught.value)
    assert message.startswith(f"{frag}:5: ")
    assert "undefined_name" in message
    assert "\n" not in message
    assert isinstance(caught.value, EngineError)


def test_defines_select_a_variant_and_keep_error_lines(gl_context, tmp_path):
    vert = tmp_path / "ok.vert"
    vert.write_text("#version 330 core\nvoid main() { gl_Position = vec4(0.0); }\n")
    frag = tmp_path / "variant.frag"
    frag.write_text("#version 330 core\nout vec4 colour;\nvoid main() {\n#ifdef BROKEN\n"
                    "    colour = vec4(undefined_name);\n#else\n    colour = vec4(1.0);\n#endif\n}\n")
    Program.from_files(vert, frag).release()  # without the define the file compiles
    with pytest.raises(ShaderError) as caught:
        Program.from_files(vert, frag, defines=("BROKEN",))
    # the define's own line does not shift the file's line numbers
    assert str(caught.value).startswith(f"{frag}:5: ")


def test_link_error_names_both_files(gl_context, tmp_path):
    vert = tmp_path / "a.vert"
    vert.write_text("#version 330 core\nvoid main() { gl_Position = vec4(0.0); }\n")
    frag = tmp_path / "b.frag"
    frag.write_text("#version 330 core\nout vec4 c;\nvoid shade() { c = vec4(1.0); }\n")  # compiles; no main()
    with pytest.raises(ShaderError) as caught:
        Program.from_files(vert, frag)
    assert str(vert) in str(caught.value) and str(frag) in str(caught.value)
    assert "link" in str(caught.value)


def test_missing_shader_file_is_one_line_error(gl_context, tmp_path):
    with pytest.raises(ShaderError, match="nope.frag: cannot read fragment shader"):
        Program.from_files("demo_colored.vert", tmp_path / "nope.frag")


@pytest.mark.parametrize("log, expected", [
    ("0:12(3): error: `x' undeclared\n", "f.glsl:12: error: `x' undeclared"),
    ("0(7) : error C1008: undefined variable \"x\"\n", 'f.glsl:7: error C1008: undefined variable "x"'),
    ("ERROR: 0:4: 'x' : undeclared identifier\nERROR: 1 compilation errors.", "f.glsl:4: 'x' : undeclared identifier"),
    ("0:3(1): warning: w\n0:9(2): error: first\n0:10(2): error: second\n", "f.glsl:9: error: first (+1 more)"),
])
def test_driver_log_formats_map_to_file_and_line(log, expected):
    from pathlib import Path
    assert format_compile_log(Path("f.glsl"), log) == expected


def test_texture_uint8_and_float32_round_trip_update_and_resize(gl_context):
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)  # odd row size: needs unpack alignment 1
    with Texture2D.from_image(image, filter="nearest") as texture:
        np.testing.assert_array_equal(texture.read(), image)
        patch = np.full((2, 3, 3), 9, np.uint8)
        texture.update(patch, x=4, y=3)
        expected = image.copy()
        expected[3:5, 4:7] = 9
        np.testing.assert_array_equal(texture.read(), expected)
        with pytest.raises(ValueError):
            texture.update(patch, x=6, y=0)
        texture_id = texture.id
        texture.resize(2, 2, np.zeros((2, 2, 3), np.uint8))
        assert texture.id == texture_id and texture.read().shape == (2, 2, 3)
    floats = rng.random((4, 4), dtype=np.float32) * 100 - 50  # out of [0, 1]: must not be clamped
    with Texture2D.from_image(floats) as texture:
        np.testing.assert_array_equal(texture.read(), floats)
        with pytest.raises(ValueError):
            texture.update(floats.astype(np.float64))


def test_textured_quad_shows_image_top_row_at_top(gl_context):
    image = np.zeros((2, 2, 3), np.uint8)
    image[0] = (255, 0, 0)  # top row red
    image[1] = (0, 0, 255)  # bottom row blue
    with Program.from_files("textured_quad.vert", "textured_quad.frag") as program, \
            Texture2D.from_image(image, filter="nearest") as texture, VertexArray() as vao:
        clear_window()
        program.use()
        program["rect"] = (-1.0, -1.0, 1.0, 1.0)
        program["image"] = 0
        texture.bind(0)
        vao.draw(gl.GL_TRIANGLE_STRIP, 4)
        frame = FrameReader().read_back_buffer((W, H))
    assert pixel(frame, W // 2, H // 4) == (255, 0, 0)
    assert pixel(frame, W // 2, 3 * H // 4) == (0, 0, 255)


def test_framebuffer_ids_instancing_integer_attributes_and_scissored_clear(gl_context, shader_dir):
    corners = np.array([[0, 0], [1, 0], [0, 1], [1, 1]], np.float32)
    rects = np.array([[-1.0, -1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]], np.float32)  # lower-left, upper-right
    ids = np.array([70000, 4_000_000_000], np.uint32)  # beyond float precision: needs integer attributes
    colours = np.array([RED, GREEN], np.float32)
    with Program.from_files(shader_dir / "instanced_ids.vert", shader_dir / "instanced_ids.frag") as program, \
            Framebuffer(64, 32, ("rgba8", "r32ui")) as fbo, VertexArray() as vao:
        vao.attribute(0, Buffer(corners), 2, own=True)
        vao.attribute(1, Buffer(rects), 4, divisor=1, own=True)
        id_buffer = Buffer(ids, usage="stream")
        vao.attribute(2, id_buffer, 1, np.uint32, divisor=1, own=True)
        vao.attribute(3, Buffer(colours), 3, divisor=1, own=True)
        fbo.bind()
        fbo.clear(color=(0, 0, 0, 1), uint_value=0xFFFFFFFF)
        program.use()
        vao.draw(gl.GL_TRIANGLE_STRIP, 4, instances=2)
        id_map = fbo.read(1)
        colour_map = fbo.read(0)
        # GL rows: row 0 is the bottom
        assert id_map.shape == (32, 64) and id_map.dtype == np.uint32
        assert id_map[4, 4] == 70000 and id_map[28, 60] == 4_000_000_000
        assert id_map[28, 4] == 0xFFFFFFFF and id_map[4, 60] == 0xFFFFFFFF
        assert tuple(colour_map[4, 4]) == (255, 0, 0, 255)
        assert tuple(fbo.read(0, rect=(60, 28, 1, 1))[0, 0]) == (0, 255, 0, 255)

        # A streamed rewrite of the ids shows up in the next draw.
        id_buffer.write(np.array([5, 6], np.uint32))
        fbo.clear(uint_value=0)
        vao.draw(gl.GL_TRIANGLE_STRIP, 4, instances=2)
        assert fbo.read(1, rect=(4, 4, 1, 1))[0, 0] == 5

        # A scissored clear touches only its rectangle; the scissor test is off again afterwards.
        fbo.clear(uint_value=9, rect=(0, 0, 8, 8))
        after = fbo.read(1)
        assert after[0, 0] == 9 and after[7, 7] == 9 and after[8, 8] == 5 and after[28, 60] == 6
        assert not gl.glIsEnabled(gl.GL_SCISSOR_TEST)

        fbo.resize(16, 8)
        assert fbo.read(1).shape == (8, 16)
        fbo.unbind()


def test_released_objects_are_gone_and_release_is_idempotent(gl_context):
    buffer = Buffer(np.zeros(4, np.float32))
    texture = Texture2D(2, 2)
    fbo = Framebuffer(4, 4, ("rgba8",))
    ids = (buffer.id, texture.id, fbo.id)
    for resource in (buffer, texture, fbo):
        resource.release()
        resource.release()
    assert not gl.glIsBuffer(ids[0]) and not gl.glIsTexture(ids[1]) and not gl.glIsFramebuffer(ids[2])


def test_unknown_framebuffer_format_is_rejected(gl_context):
    with pytest.raises(ValueError, match="unknown colour format"):
        Framebuffer(4, 4, ("rgb565",))
