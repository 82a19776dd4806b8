"""ATS write-back: puts each application's final score and its explanation into the ATS it came from."""
