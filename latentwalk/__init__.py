"""latentwalk: the command line and its entry points. The generic engine, the application, the models
and the data live beside it as latentwalk.engine, latentwalk.scenes, latentwalk.vae, latentwalk.shaders
and latentwalk.assets, each the folder of that name."""
