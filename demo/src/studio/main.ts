// The Studio's entry (demo/studio.html): nothing here is loaded by the other pages.
import './studio-app.ts';
