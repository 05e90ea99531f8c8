// The chunk of touch gestures and shortcut feedback: loaded on a touch screen as the player connects,
// elsewhere with the first shortcut, so that the element's first chunk does not carry it.
export { describe } from './action-feedback.ts';
export { TouchGestures } from './touch-gestures.ts';
