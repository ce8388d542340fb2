"""The branch's screens as the pygame programs drive them (hall display, kiosk): the screen,
a font that really draws Chinese and the text cache, the window size option, running until
stopped. The device programs stand on this instead of on each other."""
