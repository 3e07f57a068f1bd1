"""Small OpenGL 3.3 core helpers: programs from files, buffers, textures, framebuffers."""
