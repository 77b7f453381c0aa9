"""Every ```python block of the README runs as written (issue 17, item 12):
each as a script of its own (``python example.py``), in a fresh process in
an empty folder, with MNIST from $WEIGHTLAPSE_DATA. The PyTorch and Keras
examples are run by their recorders' tests (ELSEWHERE), not twice."""
import pytest

ELSEWHERE = {
    "Film your own PyTorch model":
        "tests/app/test_torch_recorder.py::test_readme_example_films_a_pytorch_mnist_model",
    "Film your own Keras model":
        "tests/app/test_keras_recorder.py::test_readme_example_films_a_keras_mnist_model",
    "Sweeps": "tests/app/test_sweeps.py and test_sweep_dask.py::"
              "test_readme_example_runs_as_a_plain_script_*",
}


def test_every_python_block_of_the_readme_runs_as_written(readme_block, tmp_path, mnist_dir,
                                                          run_readme_block):
    heading, number, code = readme_block
    if heading in ELSEWHERE and number == 1:
        pytest.skip(f"run by {ELSEWHERE[heading]}")
    run_readme_block(code, tmp_path, mnist_dir)


def test_the_readme_has_its_python_examples(readme_block):
    """Each block is a whole program: it imports what it uses."""
    heading, number, code = readme_block
    assert "import weightlapse as wl" in code or "wl." not in code, (heading, number)
