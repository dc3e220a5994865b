"""``manage.py faults``: an independent tester's load and fault figures,
repeated against gunicorn with the production settings on a scratch database
(double bookings, concurrent sales, concurrent edits, a database restart
under load). See docs/load-and-faults.md."""
