#version 330 core
// One latent point per instance (drawn as GL_POINTS, 1 vertex x N instances), or per vertex when a
// pick pass streams a few candidates with explicit ids. The size computation is shared by the
// colour pass and the pick pass, so a point covers the same pixels in both.
// Everything that is the same over a point's pixels (its class colour, dimming, fog) is worked out
// here once per point: on a software rasterizer each fragment-shader operation costs per pixel.
// With PER_POINT defined (a separate program, used only while some point has a style of its own) a
// fourth attribute gives each point an rgb of its own (used when point_colours is set) and a mask
// that dims it like a dimmed class; colouring by class alone never pays for the extra attribute.
layout(location = 0) in vec3 a_position;
layout(location = 1) in uint a_label;
layout(location = 2) in uint a_id;
#ifdef PER_POINT
layout(location = 3) in vec4 a_point_style;  // normalized bytes: rgb = own colour, a = 1 shown / 0 dimmed
uniform bool point_colours;                  // rgb from a_point_style instead of the class colour
#endif

uniform mat4 view_projection;
uniform mat4 view;
uniform float point_size;          // pixels at reference_distance
uniform float reference_distance;  // view depth where a point is exactly point_size
uniform float max_point_size;
uniform float dimmed_scale;        // size factor of points whose class is not highlighted
uniform sampler2D class_style;     // texel (label, 0): rgb = class colour, a = 1 highlighted / 0 dimmed
uniform bool id_from_attribute;    // pick pass over streamed candidates: id comes from a_id
uniform int hovered;               // instance id drawn enlarged, -1 for none (colour pass only)
uniform int first_instance;        // a long draw goes in parts: the instance its part starts at
uniform vec2 fog_range;            // view depths where fog starts and is complete
uniform vec3 background;
uniform float dim_amount;          // how far a dimmed class fades into the background
uniform float fog_amount;

flat out vec3 v_color;     // the class colour times what dimming and fog leave of it
flat out vec3 v_veil;      // the background that dimming and fog lay over it
flat out float v_kept;     // the share of the point's own light they leave (for the hover spot)
flat out float v_hovered;
flat out uint v_id;

void main() {
    int id = id_from_attribute ? int(a_id) : first_instance + gl_InstanceID;
    vec4 style = texelFetch(class_style, ivec2(int(a_label), 0), 0);
#ifdef PER_POINT
    if (point_colours) style.rgb = a_point_style.rgb;
    style.a *= a_point_style.a;
#endif
    vec4 eye = view * vec4(a_position, 1.0);
    float depth = max(-eye.z, 1e-6);
    float size = point_size * clamp(reference_distance / depth, 0.35, 4.0);
    size *= mix(dimmed_scale, 1.0, style.a);
    v_hovered = float(id == hovered);
    size *= mix(1.0, 1.8, v_hovered);
    gl_PointSize = clamp(size, 1.0, max_point_size);
    gl_Position = view_projection * vec4(a_position, 1.0);
    float fog = smoothstep(fog_range.x, fog_range.y, depth);
    // mix(c, background, dim) then mix(., background, fog) is c * kept + background * (1 - kept)
    v_kept = (1.0 - (1.0 - style.a) * dim_amount) * (1.0 - fog * fog_amount);
    v_color = style.rgb * v_kept;
    v_veil = background * (1.0 - v_kept);
    v_id = uint(id + 1);
}
