"""Exercises for the notebooks: `lessonNN` holds lesson NN's checkers, `solutions` the reference answers (for teachers).

In a notebook: `from nn.lessons import lesson02 as exercises`, write the function the cell asks for, then call
`exercises.check_...(your_function)`: it says what is right, which value is off and by how much, with a hint.
The checkers never import `solutions`; tests/test_lessons_exercises.py runs every checker on its solution.
"""
