"""The web app: the intake endpoint now, the console later, in one FastAPI app
(`yuqing.web.app.create_app`)."""
