"""A decoder held until the first frame (so torch's import cannot delay it) lets go at once when the
explorer closes before warming it: a one-frame scripted run used to wait out the whole hold."""
from latentwalk.scenes.explorer.model.decoding import DecoderService
from latentwalk.vae.bundle import load_bundle


def test_closing_a_held_decoder_ends_its_thread_without_loading_the_model():
    service = DecoderService(load_bundle("mnist"), device="cpu", held=True)
    service.request_point(0)  # the thread starts and waits for warm()
    thread = service.worker._thread
    assert thread is not None and thread.is_alive()
    service.close()  # joins the thread, giving up after a few seconds
    assert not thread.is_alive()  # it ended because of close; before, it sat out the hold and lived on
    assert service._job.decoder is None  # nothing loaded on the way out


def test_a_decode_job_set_up_while_closing_loads_nothing():
    import threading

    from latentwalk.scenes.explorer.model.decoding import DecodeJob

    go, closing = threading.Event(), threading.Event()
    job = DecodeJob(load_bundle("mnist"), "cpu", go, closing)
    go.set()
    closing.set()
    job.setup()
    assert job.decoder is None
    closing.clear()
    job.setup()
    assert job.decoder is not None
